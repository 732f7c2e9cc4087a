// Server calls the designer makes: save (a new version, guarded by expected_version),
// validate, version history and diff, start a run, and evaluate an expression against the
// data of the workflow's last run.
import { useMutation, useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { api, call } from "@/api/client";
import { keys } from "@/api/keys";
import { useInvalidatingMutation } from "@/api/queries";
import type { Definition, EventOut, Execution, ValidationProblem, Workflow } from "@/api/types";
import type { WorkflowDiff } from "@/features/canvas";

type Body = Record<string, never>;
const asBody = (d: Definition) => d as unknown as Body;

export async function saveWorkflow(id: string, definition: Definition, expectedVersion?: number): Promise<Workflow> {
  const w = await call(() =>
    api.PUT("/api/v1/workflows/{id}", {
      params: { path: { id }, query: expectedVersion === undefined ? {} : { expected_version: expectedVersion } },
      body: asBody(definition),
    }),
  );
  return w as unknown as Workflow;
}

export function useSaveWorkflow(id: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (v: { definition: Definition; expectedVersion?: number }) => saveWorkflow(id, v.definition, v.expectedVersion),
    onSuccess: (w) => {
      qc.setQueryData(keys.workflow(id), w);
      void qc.invalidateQueries({ queryKey: keys.versions(id) });
      void qc.invalidateQueries({ queryKey: keys.allWorkflows });
    },
  });
}

export async function validateDefinition(definition: Definition): Promise<{ valid: boolean; problems: ValidationProblem[] }> {
  const r = await call(() => api.POST("/api/v1/workflows/validate", { body: asBody(definition) }));
  return { valid: r.valid, problems: r.problems as unknown as ValidationProblem[] };
}

export async function latestWorkflow(id: string): Promise<Workflow> {
  return (await call(() => api.GET("/api/v1/workflows/{id}", { params: { path: { id } } }))) as unknown as Workflow;
}

export function useVersions(id: string, enabled: boolean) {
  return useQuery({
    queryKey: keys.versions(id),
    enabled,
    queryFn: async () => {
      const r = await call(() => api.GET("/api/v1/workflows/{id}/versions", { params: { path: { id } } }));
      return r.items as unknown as Workflow[];
    },
  });
}

export function useDiff(id: string, from: number | undefined, to: number | undefined) {
  return useQuery({
    queryKey: keys.diff(id, from ?? 0, to ?? 0),
    enabled: !!from && !!to && from !== to,
    staleTime: Infinity,
    queryFn: async () =>
      (await call(() =>
        api.GET("/api/v1/workflows/{id}/diff", { params: { path: { id }, query: { from, to } } }),
      )) as unknown as WorkflowDiff,
  });
}

export function useStartExecution(id: string) {
  return useInvalidatingMutation(keys.allExecutions, (input: Record<string, unknown>) =>
    call(() =>
      api.POST("/api/v1/workflows/{id}/executions", { params: { path: { id } }, body: { input: input as Record<string, never> } }),
    ),
  );
}

export async function evaluateExpression(expression: string, context: unknown): Promise<{ result: unknown; results: unknown[] }> {
  const r = await call(() =>
    api.POST("/api/v1/expressions/evaluate", { body: { expression, context: (context ?? {}) as Record<string, never> } }),
  );
  return r as unknown as { result: unknown; results: unknown[] };
}

/** What the last run left behind that expressions can see. */
export interface LastRun {
  execution: Pick<Execution, "id" | "workflow_id" | "version" | "created_at">;
  input: unknown;
  /** Output per node id; for body nodes, their first iteration's. */
  outputs: Record<string, unknown>;
  /** Items of each for_each loop, by loop id. */
  loopItems: Record<string, unknown[]>;
}

/** Most events read to build a test context (a huge run only needs its first outputs). */
const MAX_EVENT_PAGES = 5;

/** The node id of an event's node path: `each[0]/sq` → `sq`. */
export function nodeIdOfPath(path: string): { id: string; iteration: number[] } {
  const segs = path.split("/");
  const iteration = segs.slice(0, -1).map((s) => Number(/\[(\d+)\]$/.exec(s)?.[1] ?? 0));
  return { id: segs[segs.length - 1].replace(/\[\d+\]$/, ""), iteration };
}

export function lastRunFromEvents(execution: LastRun["execution"], events: readonly EventOut[]): LastRun {
  const run: LastRun = { execution, input: {}, outputs: {}, loopItems: {} };
  const fromFirstPass = new Set<string>();
  for (const e of events) {
    const data = (e.data ?? {}) as Record<string, unknown>;
    if (e.type === "execution_started") run.input = data.input ?? {};
    else if (e.type === "loop_started" && e.node_id) {
      const { id } = nodeIdOfPath(e.node_id);
      if (Array.isArray(data.items) && !(id in run.loopItems)) run.loopItems[id] = data.items;
    } else if (e.type === "node_completed" && e.node_id) {
      const { id, iteration } = nodeIdOfPath(e.node_id);
      // Inside loops, prefer the first iteration (iterations may finish out of order): a
      // consistent view of one pass through the body.
      const firstPass = iteration.every((i) => i === 0);
      if (!iteration.length || !(id in run.outputs) || (firstPass && !fromFirstPass.has(id))) {
        run.outputs[id] = data.output;
        if (firstPass) fromFirstPass.add(id);
      }
    }
  }
  return run;
}

export async function fetchLastRun(workflowId: string): Promise<LastRun | null> {
  const page = await call(() => api.GET("/api/v1/executions", { params: { query: { workflow_id: workflowId, limit: 1 } } }));
  const ex = page.items[0];
  if (!ex) return null;
  const events: EventOut[] = [];
  let after: number | undefined;
  for (let i = 0; i < MAX_EVENT_PAGES; i++) {
    const p = await call(() =>
      api.GET("/api/v1/executions/{id}/events", { params: { path: { id: ex.id }, query: { after_seq: after, limit: 1000 } } }),
    );
    events.push(...p.items);
    if (p.next_after_seq == null) break;
    after = p.next_after_seq;
  }
  return lastRunFromEvents({ id: ex.id, workflow_id: ex.workflow_id, version: ex.version, created_at: ex.created_at }, events);
}

export function lastRunQuery(qc: QueryClient, workflowId: string) {
  return qc.fetchQuery({
    queryKey: [...keys.workflow(workflowId), "last-run"],
    queryFn: () => fetchLastRun(workflowId),
    staleTime: 15_000,
  });
}

/**
 * The data `.` stands for when `nodeId` runs, as far as the last run tells: its input, every
 * node's output, `prev` (the output of its first predecessor, or the item/input at an entry
 * point), and `item`/`index` inside a loop body.
 */
export function testContext(run: LastRun | null, def: Definition, nodeId: string): Record<string, unknown> {
  const ctx: Record<string, unknown> = {
    input: run?.input ?? {},
    nodes: run?.outputs ?? {},
    vars: def.vars ?? {},
    execution: run ? { id: run.execution.id, workflow_id: run.execution.workflow_id, version: run.execution.version } : {},
  };
  // Find the graph holding the node, and the loop around it.
  type G = { nodes: Definition["nodes"]; edges?: Definition["edges"] };
  const find = (g: G, loop?: string): { g: G; loop?: string } | null => {
    for (const n of g.nodes) {
      if (n.id === nodeId) return { g, loop };
      const body = n.config?.body as G | undefined;
      if (body && Array.isArray(body.nodes)) {
        const hit = find(body, n.id);
        if (hit) return hit;
      }
    }
    return null;
  };
  const where = find(def);
  const pred = where?.g.edges?.find((e) => e.to === nodeId)?.from;
  if (where?.loop) {
    const items = run?.loopItems[where.loop];
    if (items) ctx.item = items[0];
    ctx.index = 0;
  }
  if (pred !== undefined) ctx.prev = run?.outputs[pred] ?? null;
  else ctx.prev = where?.loop ? (ctx.item ?? null) : ctx.input;
  return ctx;
}
