// Keeps cached execution lists current from the live feed: a row's status changes when its
// execution starts, waits, finishes or is retried, and a new execution of a followed
// workflow refreshes the lists so it shows up at the top.
import { useEffect, useMemo, useRef } from "react";
import { useQueryClient, type InfiniteData, type QueryClient } from "@tanstack/react-query";
import { accessToken } from "@/api/client";
import { keys } from "@/api/keys";
import type { ExecutionStatus } from "@/api/types";
import { LiveFeed, defaultFeedDeps, type FeedDeps, type FeedEvent } from "./liveFeed";
import type { ExecutionListPage } from "./queries";
import type { ExecutionRecord, StreamEvent } from "./types";

/** What an event says about its execution's row; null when it changes nothing shown. */
export function rowPatch(row: ExecutionRecord, e: StreamEvent): Partial<ExecutionRecord> | null {
  const base = { updated_at: e.at, last_seq: Math.max(row.last_seq, e.seq) };
  switch (e.type) {
    case "execution_started":
      return { ...base, status: "running" };
    case "execution_finished":
      return { ...base, status: (e.data.status as ExecutionStatus) ?? "failed", finished_at: e.at };
    case "execution_retried":
      return { ...base, status: "running", finished_at: null };
    case "signal_awaited":
    case "timer_started":
      return { ...base, status: "waiting" };
    case "node_scheduled":
    case "signal_received":
      return row.status === "waiting" ? { ...base, status: "running" } : null;
    default:
      return null;
  }
}

/** The pages with one execution's row patched; `found` says whether the row was there. */
export function patchPages(
  data: InfiniteData<ExecutionListPage> | undefined,
  executionId: string,
  e: StreamEvent,
): { data: InfiniteData<ExecutionListPage> | undefined; found: boolean } {
  if (!data) return { data, found: false };
  let found = false;
  const pages = data.pages.map((p) => {
    const i = p.items.findIndex((r) => r.id === executionId);
    if (i < 0) return p;
    found = true;
    const row = p.items[i];
    // Events from before what the row already shows (a late delivery) must not undo it.
    if (e.seq <= row.last_seq && e.type !== "execution_started") return p;
    const patch = rowPatch(row, e);
    if (!patch) return p;
    const items = [...p.items];
    items[i] = { ...row, ...patch };
    return { ...p, items };
  });
  return { data: found ? { ...data, pages } : data, found };
}

function applyFeedEvent(qc: QueryClient, f: FeedEvent, refreshLists: () => void) {
  let found = false;
  qc.setQueriesData<InfiniteData<ExecutionListPage>>({ queryKey: keys.allExecutions }, (old) => {
    const r = patchPages(old, f.execution_id, f.event);
    found ||= r.found;
    return r.data;
  });
  if (!found && f.event.type === "execution_started") refreshLists();
  if (f.event.type === "execution_finished") void qc.invalidateQueries({ queryKey: ["stats"] });
}

/**
 * Follows the executions of `workflowIds` live. `onHealth(false)` when the socket is down
 * (after a couple of failed attempts), for the caller to poll instead, `onHealth(true)` once
 * it is back. `onHealth` must be stable (a state setter).
 */
export function useLiveExecutions(
  workflowIds: readonly string[],
  onHealth: (healthy: boolean) => void,
  deps?: FeedDeps,
): void {
  const qc = useQueryClient();
  const feedRef = useRef<LiveFeed | null>(null);
  const idsRef = useRef<string[]>([]);
  const idsKey = useMemo(() => [...new Set(workflowIds)].sort().join(","), [workflowIds]);

  useEffect(() => {
    let refreshTimer: ReturnType<typeof setTimeout> | undefined;
    // Many executions starting at once refresh the lists once.
    const refreshLists = () => {
      refreshTimer ??= setTimeout(() => {
        refreshTimer = undefined;
        void qc.invalidateQueries({ queryKey: keys.allExecutions });
      }, 500);
    };
    const feed = new LiveFeed(deps ?? defaultFeedDeps(accessToken), (f) => applyFeedEvent(qc, f, refreshLists), onHealth);
    feedRef.current = feed;
    feed.setWorkflows(idsRef.current);
    feed.start();
    return () => {
      clearTimeout(refreshTimer);
      feed.stop();
      feedRef.current = null;
    };
  }, [qc, deps, onHealth]);

  useEffect(() => {
    idsRef.current = idsKey ? idsKey.split(",") : [];
    feedRef.current?.setWorkflows(idsRef.current);
  }, [idsKey]);
}
