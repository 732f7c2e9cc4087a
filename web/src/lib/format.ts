// How numbers and times read across the app (lists, executions, dashboard): durations that stay short
// at every scale ("850 ms", "3 min 5 s"), relative times ("5 minutes ago") with the exact
// moment available for tooltips, and clock times precise enough to order events. Pure
// functions of their inputs (the caller passes `now`), so they are easy to test.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * A duration as people read it: "850 ms", "1.2 s", "42 s", "3 min 5 s", "2 h 5 min",
 * "3 d 4 h". Two units at most; the smaller is left out when it is zero. `null`/`undefined`
 * (nothing finished yet, no data) read as an em dash.
 */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "—";
  const v = Math.max(0, ms);
  // Each tier ends half a unit early, so what would round up to the next tier's unit
  // ("1000 ms", "60 min") is written in that tier instead.
  if (v < SECOND - 0.5) return `${Math.round(v)} ms`;
  if (v < 10 * SECOND - 50) return `${Math.round(v / 100) / 10} s`;
  if (v < MINUTE - SECOND / 2) return `${Math.round(v / SECOND)} s`;
  const pair = (big: number, bigUnit: string, small: number, smallUnit: string) => {
    const total = Math.round(v / small);
    const perBig = big / small;
    const b = Math.floor(total / perBig);
    const s = total - b * perBig;
    return s ? `${b} ${bigUnit} ${s} ${smallUnit}` : `${b} ${bigUnit}`;
  };
  if (v < HOUR - SECOND / 2) return pair(MINUTE, "min", SECOND, "s");
  if (v < DAY - MINUTE / 2) return pair(HOUR, "h", MINUTE, "min");
  return pair(DAY, "d", HOUR, "h");
}

/** A duration in its largest unit only ("13 min", "2 h"), for chart axes where space is short. */
export function formatDurationCompact(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "—";
  const v = Math.max(0, ms);
  if (v < SECOND) return `${Math.round(v)} ms`;
  if (v < MINUTE) return `${Math.round((v / SECOND) * 10) / 10} s`;
  if (v < HOUR) return `${Math.round((v / MINUTE) * 10) / 10} min`;
  if (v < DAY) return `${Math.round((v / HOUR) * 10) / 10} h`;
  return `${Math.round((v / DAY) * 10) / 10} d`;
}

/** How long something took, or has taken so far when it has not ended (`end` absent). */
export function elapsed(start: number, end: number | null | undefined, now: number): number {
  return Math.max(0, (end ?? now) - start);
}

const rtf = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
const STEPS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["second", 60],
  ["minute", 60],
  ["hour", 24],
  ["day", 7],
  ["week", 4.35],
  ["month", 12],
  ["year", Infinity],
];

/** "just now", "5 minutes ago", "yesterday", "in 2 hours"… relative to `now`. */
export function relativeTime(ms: number, now: number): string {
  let delta = (ms - now) / 1000;
  if (Math.abs(delta) < 45) return "just now";
  for (const [unit, size] of STEPS) {
    // Rounded away from zero on .5 both ways, so 90 s ago and 90 s ahead read alike; compared
    // after rounding, so 59.7 minutes reads "1 hour", not "60 minutes".
    const n = Math.round(Math.abs(delta));
    if (n < size) return rtf.format(Math.sign(delta) * n, unit);
    delta /= size;
  }
  return rtf.format(Math.round(delta), "year");
}

const dateTime = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "medium" });
const clock = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
const hourMinute = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", hour12: false });
const monthDay = new Intl.DateTimeFormat("en", { month: "short", day: "numeric" });

/** The full local date and time, for tooltips and `title`s. */
export function formatDateTime(ms: number): string {
  return dateTime.format(ms);
}

/** The date and time in the browser's own locale and style, for sentences ("changes from …"). */
export function formatLocalDateTime(ms: number): string {
  return new Date(ms).toLocaleString();
}

/** A local wall-clock time with milliseconds, "14:03:22.120": events often share a second. */
export function formatClock(ms: number): string {
  return `${clock.format(ms)}.${String(((ms % 1000) + 1000) % 1000).padStart(3, "0")}`;
}

/** Time since a reference point (the execution's start), "+1.2 s"; "+0 ms" at the start. */
export function formatOffset(ms: number, since: number): string {
  return `+${formatDuration(ms - since)}`;
}

/**
 * An axis label for a chart bucket: the time of day when buckets are shorter than a day,
 * else the date.
 */
export function formatBucket(ms: number, bucketMs: number): string {
  return bucketMs < DAY ? hourMinute.format(ms) : monthDay.format(ms);
}

const compact = new Intl.NumberFormat("en", { notation: "compact", maximumFractionDigits: 1 });
const whole = new Intl.NumberFormat("en");

/** A count for a KPI card: exact below ten thousand ("1,234"), compact above ("12.3K"). */
export function formatCount(n: number): string {
  return Math.abs(n) < 10_000 ? whole.format(n) : compact.format(n);
}

/**
 * A short form of an execution id for tables. Ids are UUIDv7, whose leading characters are a
 * timestamp shared by everything started in the same few seconds, so the random tail is what
 * tells two apart.
 */
export function shortId(id: string): string {
  const hex = id.replace(/-/g, "");
  return hex.length > 8 ? hex.slice(-8) : hex;
}
