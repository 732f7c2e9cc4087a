// Times that stay true while the page is open: relative times that age ("just now" →
// "2 minutes ago") and durations that tick while an execution runs. The clock is state
// renewed by a timer, so rendering stays pure. Every time carries the exact moment in its
// markup (`dateTime`) and tooltip. The API sends Unix milliseconds.
import { useEffect, useState, type ReactNode } from "react";
import { elapsed, formatDateTime, formatDuration, relativeTime } from "@/lib/format";

/** The current time, renewed every `everyMs` while `enabled`. */
export function useNow(everyMs = 30_000, enabled = true): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!enabled) return;
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs, enabled]);
  return now;
}

/**
 * A `<time>` for `ms`: shows `children` (e.g. a clock time) with the full date and time in its
 * tooltip, or, without children, the full date and time itself.
 */
export function Time({ ms, className, children }: { ms: number; className?: string; children?: ReactNode }) {
  const full = formatDateTime(ms);
  return (
    <time dateTime={new Date(ms).toISOString()} title={children === undefined ? undefined : full} className={className}>
      {children ?? full}
    </time>
  );
}

/** "5 minutes ago", with the exact time in the tooltip and the markup. */
export function RelativeTime({ ms, className }: { ms: number; className?: string }) {
  const now = useNow();
  return (
    <Time ms={ms} className={className}>
      {relativeTime(ms, now)}
    </Time>
  );
}

/** How long from `start` to `end`, counting up every second while there is no end yet. */
export function Duration({ start, end, className }: { start: number; end?: number | null; className?: string }) {
  const running = end === null || end === undefined;
  const now = useNow(1000, running);
  // Until the first tick `now` can predate a just-created start: never show a negative.
  const ms = elapsed(start, end, Math.max(now, start));
  return (
    <span className={className} title={running ? "Still running" : undefined}>
      {formatDuration(ms)}
    </span>
  );
}
