// Times as people read them in lists ("3 min ago"), with the exact moment on hover and in the
// markup. The API sends Unix milliseconds.
import { useEffect, useState } from "react";

const rtf = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
const full = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "medium" });
const short = new Intl.DateTimeFormat("en", { dateStyle: "medium" });

const STEPS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["second", 60],
  ["minute", 60],
  ["hour", 24],
  ["day", 7],
  ["week", 4.35],
  ["month", 12],
  ["year", Infinity],
];

/** "just now", "5 minutes ago", "in 2 days"… relative to `now`. */
export function relativeTime(ms: number, now = Date.now()): string {
  let delta = (ms - now) / 1000;
  if (Math.abs(delta) < 45) return "just now";
  for (const [unit, size] of STEPS) {
    // Rounded away from zero on .5 both ways, so 90 s ago and 90 s ahead read alike; compared
    // after rounding, so 59.7 minutes reads "1 hour", not "60 minutes".
    const n = Math.round(Math.abs(delta));
    if (n < size) return rtf.format(Math.sign(delta) * n, unit);
    delta /= size;
  }
  return short.format(ms);
}

export function formatDateTime(ms: number): string {
  return full.format(ms);
}

/**
 * The current time, renewed every `everyMs`, so "just now" becomes "2 minutes ago" while the
 * page stays open (and render stays pure: the clock is state, not read during render).
 */
export function useNow(everyMs = 30_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}

/** A `<time>` showing the relative form, the full date in its tooltip. */
export function RelativeTime({ ms, className }: { ms: number; className?: string }) {
  const now = useNow();
  return (
    <time dateTime={new Date(ms).toISOString()} title={formatDateTime(ms)} className={className}>
      {relativeTime(ms, now)}
    </time>
  );
}
