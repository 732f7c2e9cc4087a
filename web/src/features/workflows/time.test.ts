import { describe, expect, it } from "vitest";
import { relativeTime } from "./time";

describe("relativeTime", () => {
  const now = Date.UTC(2026, 10, 28, 12, 0, 0);
  it.each([
    [now - 10_000, "just now"],
    [now - 90_000, "2 minutes ago"],
    [now - 3 * 3_600_000, "3 hours ago"],
    [now - 86_400_000, "yesterday"],
    [now - 3 * 86_400_000, "3 days ago"],
    [now - 14 * 86_400_000, "2 weeks ago"],
    [now + 5 * 60_000, "in 5 minutes"],
    [now - 59.7 * 60_000, "1 hour ago"],
  ])("%s → %s", (ms, text) => {
    expect(relativeTime(ms, now)).toBe(text);
  });
});
