// Server state for executions: one execution, the pinned workflow version it runs, the
// filtered list, the log pages, workflow names for lists, and the operator actions (cancel,
// retry, signal) with the cache updates they imply.
import { keepPreviousData, useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, call } from "@/api/client";
import { keys } from "@/api/keys";
import type { Workflow, WorkflowSummary } from "@/api/types";
import type { ExecutionRecord } from "./types";

export function useExecution(id: string) {
  return useQuery({
    queryKey: keys.execution(id),
    queryFn: async () =>
      (await call(() => api.GET("/api/v1/executions/{id}", { params: { path: { id } } }))) as unknown as ExecutionRecord,
  });
}

/** A workflow version; immutable once saved, so it is never refetched. */
export function useWorkflowVersion(workflowId: string | undefined, version: number | undefined) {
  return useQuery({
    queryKey: keys.version(workflowId ?? "", version ?? 0),
    enabled: !!workflowId && version !== undefined,
    staleTime: Infinity,
    queryFn: async () =>
      (await call(() =>
        api.GET("/api/v1/workflows/{id}/versions/{version}", { params: { path: { id: workflowId!, version: version! } } }),
      )) as unknown as Workflow,
  });
}

/** Enough workflows to name every row and fill the filter select. */
const WORKFLOW_LIMIT = 500;

/** Workflow summaries by id, for naming executions in lists. */
export function useWorkflowIndex() {
  return useQuery({
    queryKey: keys.workflowIndex,
    staleTime: 60_000,
    queryFn: async () => {
      const page = await call(() => api.GET("/api/v1/workflows", { params: { query: { limit: WORKFLOW_LIMIT } } }));
      const items = page.items as WorkflowSummary[];
      return { items, byId: new Map(items.map((w) => [w.id, w])), truncated: !!page.next_cursor };
    },
  });
}

export const TIME_RANGES = {
  "1h": 3_600_000,
  "24h": 86_400_000,
  "7d": 7 * 86_400_000,
  "30d": 30 * 86_400_000,
} as const;

export type TimeRange = keyof typeof TIME_RANGES;

export function isTimeRange(v: string | null | undefined): v is TimeRange {
  return !!v && v in TIME_RANGES;
}

export interface ExecutionFilter {
  workflow_id?: string;
  status?: string;
  /** How far back `created_at` may be; absent for all time. */
  range?: TimeRange;
}

export interface ExecutionListPage {
  items: ExecutionRecord[];
  next_cursor?: string;
}

export const EXECUTION_PAGE_SIZE = 50;

/**
 * The list, newest first, a page at a time. The key holds the range's name rather than its
 * bounds so it stays stable; the bounds are taken when a page is fetched.
 */
export function useExecutionList(filter: ExecutionFilter, opts: { poll?: number | false; limit?: number } = {}) {
  const limit = opts.limit ?? EXECUTION_PAGE_SIZE;
  return useInfiniteQuery({
    queryKey: keys.executions({ ...filter, limit }),
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam }): Promise<ExecutionListPage> => {
      const from = filter.range ? Date.now() - TIME_RANGES[filter.range] : undefined;
      const page = await call(() =>
        api.GET("/api/v1/executions", {
          params: {
            query: {
              workflow_id: filter.workflow_id || undefined,
              status: filter.status || undefined,
              from,
              cursor: pageParam,
              limit,
            },
          },
        }),
      );
      return { items: page.items as unknown as ExecutionRecord[], next_cursor: page.next_cursor ?? undefined };
    },
    getNextPageParam: (last) => last.next_cursor,
    placeholderData: keepPreviousData,
    refetchInterval: opts.poll ?? false,
  });
}

export interface LogFilter {
  /** Lowest level shown; the server's default is `info`. */
  level: "debug" | "info" | "warn" | "error";
  node?: string;
  q?: string;
}

export interface LogLineItem {
  seq: number;
  at: number;
  level: string;
  node?: string | null;
  message: string;
}

export interface LogPage {
  items: LogLineItem[];
  next_cursor?: number;
}

export const LOG_PAGE_SIZE = 200;

/** The query string a log request sends for a filter and a cursor (exported for tests). */
export function logQuery(filter: LogFilter, cursor?: number) {
  return {
    level: filter.level,
    node: filter.node || undefined,
    q: filter.q?.trim() || undefined,
    cursor,
    limit: LOG_PAGE_SIZE,
  };
}

export async function fetchLogPage(id: string, filter: LogFilter, cursor?: number): Promise<LogPage> {
  const page = await call(() =>
    api.GET("/api/v1/executions/{id}/logs", { params: { path: { id }, query: logQuery(filter, cursor) } }),
  );
  return { items: page.items as LogLineItem[], next_cursor: page.next_cursor ?? undefined };
}

export function useLogs(id: string, filter: LogFilter) {
  return useInfiniteQuery({
    queryKey: keys.logs(id, { ...filter }),
    initialPageParam: undefined as number | undefined,
    queryFn: ({ pageParam }) => fetchLogPage(id, filter, pageParam),
    getNextPageParam: (last) => last.next_cursor,
    placeholderData: keepPreviousData,
  });
}

function useAfterAction(id: string) {
  const qc = useQueryClient();
  return () => {
    void qc.invalidateQueries({ queryKey: keys.execution(id) });
    void qc.invalidateQueries({ queryKey: keys.allExecutions });
  };
}

export function useCancelExecution(id: string) {
  const done = useAfterAction(id);
  return useMutation({
    mutationFn: (reason: string) =>
      call(() =>
        api.POST("/api/v1/executions/{id}/cancel", {
          params: { path: { id } },
          body: reason.trim() ? { reason: reason.trim() } : {},
        }),
      ),
    onSuccess: done,
  });
}

export function useRetryExecution(id: string) {
  const qc = useQueryClient();
  const done = useAfterAction(id);
  return useMutation({
    mutationFn: async () =>
      (await call(() => api.POST("/api/v1/executions/{id}/retry", { params: { path: { id } } }))) as unknown as ExecutionRecord,
    onSuccess: (e) => {
      qc.setQueryData(keys.execution(id), e);
      done();
    },
  });
}

export function useSendSignal(id: string) {
  const done = useAfterAction(id);
  return useMutation({
    mutationFn: ({ name, payload }: { name: string; payload: unknown }) =>
      call(() =>
        api.POST("/api/v1/executions/{id}/signals/{name}", {
          params: { path: { id, name } },
          // Any JSON value is a payload; the schema only says "object".
          body: payload as Record<string, never> | null,
        }),
      ),
    onSuccess: done,
  });
}
