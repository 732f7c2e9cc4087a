// Every TanStack Query key in one place, so invalidation after a mutation cannot miss one.
export const keys = {
  me: ["me"] as const,
  nodes: ["nodes"] as const,
  workflows: (q?: { q?: string; tag?: string }) => ["workflows", q ?? {}] as const,
  allWorkflows: ["workflows"] as const,
  /** The paged (infinite) list; its own key so it never shares a cache entry with a plain list. */
  workflowPages: (q?: { q?: string; tag?: string }) => ["workflows", q ?? {}, "pages"] as const,
  /** Every workflow's summary by id (names for execution lists and filters). */
  workflowIndex: ["workflows", "index"] as const,
  workflow: (id: string) => ["workflow", id] as const,
  versions: (id: string) => ["workflow", id, "versions"] as const,
  version: (id: string, v: number) => ["workflow", id, "versions", v] as const,
  diff: (id: string, from: number, to: number) => ["workflow", id, "diff", from, to] as const,
  executions: (f?: Record<string, unknown>) => ["executions", f ?? {}] as const,
  allExecutions: ["executions"] as const,
  execution: (id: string) => ["execution", id] as const,
  events: (id: string) => ["execution", id, "events"] as const,
  logs: (id: string, f: Record<string, unknown>) => ["execution", id, "logs", f] as const,
  stats: (range: Record<string, unknown>) => ["stats", range] as const,
  users: ["users"] as const,
  apiKeys: ["api-keys"] as const,
  credentials: ["credentials"] as const,
  audit: (f: Record<string, unknown>) => ["audit", f] as const,
};
