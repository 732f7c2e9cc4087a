import { describe, expect, it } from "vitest";
import { elapsed, formatBucket, formatDurationCompact, formatClock, formatCount, formatDuration, formatOffset, relativeTime, shortId } from "./format";

describe("formatDuration", () => {
  it.each([
    [0, "0 ms"],
    [850, "850 ms"],
    [999.6, "1 s"],
    [1_000, "1 s"],
    [1_234, "1.2 s"],
    [9_960, "10 s"],
    [9_940, "9.9 s"],
    [12_400, "12 s"],
    [59_600, "1 min"],
    [60_000, "1 min"],
    [185_000, "3 min 5 s"],
    [3_599_600, "1 h"],
    [86_399_000, "1 d"],
    [7_500_000, "2 h 5 min"],
    [3 * 86_400_000 + 4 * 3_600_000, "3 d 4 h"],
    [-5, "0 ms"],
  ])("%s ms → %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it("shows a dash when there is nothing to measure", () => {
    expect(formatDuration(null)).toBe("—");
    expect(formatDuration(undefined)).toBe("—");
    expect(formatDuration(Number.NaN)).toBe("—");
  });
});

describe("formatDurationCompact", () => {
  it.each([
    [0, "0 ms"],
    [1_500, "1.5 s"],
    [200_000, "3.3 min"],
    [800_000, "13.3 min"],
    [7_200_000, "2 h"],
    [3 * 86_400_000, "3 d"],
  ])("%s ms → %s", (ms, text) => {
    expect(formatDurationCompact(ms)).toBe(text);
  });
});

describe("elapsed", () => {
  it("measures to the end when there is one, else to now", () => {
    expect(elapsed(1_000, 4_000, 10_000)).toBe(3_000);
    expect(elapsed(1_000, null, 10_000)).toBe(9_000);
    expect(elapsed(1_000, undefined, 500)).toBe(0);
  });
});

describe("relativeTime", () => {
  const now = Date.UTC(2026, 10, 28, 12, 0, 0);
  it.each([
    [now - 10_000, "just now"],
    [now - 90_000, "2 minutes ago"],
    [now - 59.7 * 60_000, "1 hour ago"],
    [now - 3 * 3_600_000, "3 hours ago"],
    [now - 86_400_000, "yesterday"],
    [now - 3 * 86_400_000, "3 days ago"],
    [now - 14 * 86_400_000, "2 weeks ago"],
    [now + 5 * 60_000, "in 5 minutes"],
    [now - 3 * 365 * 86_400_000, "3 years ago"],
  ])("%s → %s", (ms, text) => {
    expect(relativeTime(ms, now)).toBe(text);
  });
});

describe("clock and offsets", () => {
  it("keeps milliseconds so events in the same second stay apart", () => {
    const t = new Date(2026, 0, 2, 14, 3, 22, 120).getTime();
    expect(formatClock(t)).toBe("14:03:22.120");
    expect(formatClock(t + 5)).toBe("14:03:22.125");
  });

  it("offsets from the start", () => {
    expect(formatOffset(1_500, 1_000)).toBe("+500 ms");
    expect(formatOffset(62_000, 2_000)).toBe("+1 min");
  });

  it("labels buckets by time of day or by date", () => {
    const t = new Date(2026, 2, 4, 9, 5).getTime();
    expect(formatBucket(t, 3_600_000)).toBe("09:05");
    expect(formatBucket(t, 86_400_000)).toBe("Mar 4");
  });
});

describe("formatCount and shortId", () => {
  it("is exact for small counts and compact for big ones", () => {
    expect(formatCount(0)).toBe("0");
    expect(formatCount(1_234)).toBe("1,234");
    expect(formatCount(12_345)).toBe("12.3K");
  });

  it("keeps the random tail of a UUIDv7", () => {
    expect(shortId("01a2215a-550e-74dd-8f43-d5d2655ad5fc")).toBe("655ad5fc");
    expect(shortId("abc")).toBe("abc");
  });
});
