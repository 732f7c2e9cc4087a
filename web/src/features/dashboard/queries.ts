// Server state for the dashboard: the stats for a time range, refreshed every 10 s. The key
// holds the range's name, not its bounds, so a refresh replaces the figures in place; the
// bounds ("the last 24 hours") are taken when the request is made.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { api, call } from "@/api/client";
import { keys } from "@/api/keys";
import type { Schemas } from "@/api/types";

export type Stats = Schemas["Stats"];
export type StatsBucket = Schemas["StatsBucket"];

export const RANGES = {
  "1h": { label: "1h", title: "Last hour", ms: 3_600_000, buckets: 12 },
  "24h": { label: "24h", title: "Last 24 hours", ms: 86_400_000, buckets: 24 },
  "7d": { label: "7d", title: "Last 7 days", ms: 7 * 86_400_000, buckets: 28 },
  "30d": { label: "30d", title: "Last 30 days", ms: 30 * 86_400_000, buckets: 30 },
} as const;

export type DashboardRange = keyof typeof RANGES;
export const DEFAULT_RANGE: DashboardRange = "24h";

export function isDashboardRange(v: string | null): v is DashboardRange {
  return !!v && v in RANGES;
}

export const REFRESH_MS = 10_000;

/** The query a stats request sends for a range ending at `now` (exported for tests). */
export function statsQuery(range: DashboardRange, now: number) {
  const r = RANGES[range];
  return { from: now - r.ms, to: now, buckets: r.buckets };
}

export function useStats(range: DashboardRange) {
  return useQuery({
    queryKey: keys.stats({ range }),
    queryFn: (): Promise<Stats> => call(() => api.GET("/api/v1/stats", { params: { query: statsQuery(range, Date.now()) } })),
    refetchInterval: REFRESH_MS,
    placeholderData: keepPreviousData,
  });
}
