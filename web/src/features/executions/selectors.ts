// Views of a `RunState` for the execution page: the per-node colours the canvas draws, the
// iterations a loop body node ran in, and a node's input (its `prev`), which no event carries
// but which follows from the definition's edges and the outputs of the nodes that ran —
// the same rules the engine uses (see `readiness` in weft-core's machine).
import type { Definition, EdgeDef, NodeDef } from "@/api/types";
import type { NodeRunState } from "@/features/canvas";
import { isTerminal, parsePath, type NodeDetail, type RunState } from "./runState";

function compareIterations(a: NodeDetail, b: NodeDetail): number {
  const n = Math.max(a.iteration.length, b.iteration.length);
  for (let i = 0; i < n; i++) {
    const d = (a.iteration[i] ?? -1) - (b.iteration[i] ?? -1);
    if (d) return d;
  }
  return a.lastSeq - b.lastSeq;
}

/** Every path a node id ran under (one per loop iteration), the last iteration last. */
export function detailsForId(state: RunState, id: string): NodeDetail[] {
  return Object.values(state.nodes)
    .filter((n) => n.id === id)
    .sort(compareIterations);
}

function errorText(n: NodeDetail): string | undefined {
  if (n.status !== "failed") return undefined;
  const failed = [...n.attempts].reverse().find((a) => a.error);
  return failed?.error?.message ?? n.interrupted?.message;
}

/**
 * What the canvas shows per node id. Loop body nodes ran once per iteration; the last
 * iteration wins. While the execution is unfinished, nodes that have not been reached yet
 * show "queued"; once it has ended they show nothing.
 */
export function canvasRunState(
  state: RunState,
  nodeIds: readonly string[],
  status: string | undefined,
): Record<string, NodeRunState> {
  const latest = new Map<string, NodeDetail>();
  for (const n of Object.values(state.nodes)) {
    const seen = latest.get(n.id);
    if (!seen || compareIterations(n, seen) > 0) latest.set(n.id, n);
  }
  const out: Record<string, NodeRunState> = {};
  const active = !isTerminal(status);
  for (const id of nodeIds) {
    const n = latest.get(id);
    if (!n) {
      if (active) out[id] = { status: "queued", attempts: 0 };
      continue;
    }
    // A node reset by a retry that the (finished) execution never got back to is not queued.
    if (n.status === "queued" && !active) continue;
    const attempts = n.attempts.reduce((m, a) => Math.max(m, a.attempt), 0);
    const error = errorText(n);
    out[id] = error ? { status: n.status, attempts, error } : { status: n.status, attempts };
  }
  return out;
}

interface Placed {
  def: NodeDef;
  /** The edges of the graph the node is in (the workflow's or its loop body's). */
  edges: EdgeDef[];
}

/** Every node of a definition, loop bodies included, by id. */
export function indexDefinition(def: Definition): Map<string, Placed> {
  const index = new Map<string, Placed>();
  const walk = (nodes: NodeDef[] | undefined, edges: EdgeDef[] | undefined) => {
    for (const n of nodes ?? []) {
      index.set(n.id, { def: n, edges: edges ?? [] });
      const body = (n.config as { body?: { nodes?: NodeDef[]; edges?: EdgeDef[] } } | undefined)?.body;
      if (body && Array.isArray(body.nodes)) walk(body.nodes, body.edges);
    }
  };
  walk(def.nodes, def.edges);
  return index;
}

export type Known = { known: true; value: unknown } | { known: false };

const unknown: Known = { known: false };
const known = (value: unknown): Known => ({ known: true, value });

/**
 * The `prev` the node at `path` saw: the output that activated it, an object keyed by source
 * id when several edges did; for entry nodes the execution input, or inside a loop the item
 * (`for_each`) or the previous iteration's result (`while`); for a loop, its own input.
 */
export function nodeInput(index: Map<string, Placed>, state: RunState, path: string): Known {
  const { id, scope } = parsePath(path);
  const detail = state.nodes[path];
  if (detail?.loop) return known(detail.loop.input);
  const placed = index.get(id);
  if (!placed) return unknown;
  const incoming = placed.edges.filter((e) => e.to === id);
  if (!incoming.length) {
    if (!scope.length) return state.input === undefined ? unknown : known(state.input);
    const m = /^(.*)\[(\d+)\]$/.exec(scope[scope.length - 1]);
    if (!m) return unknown;
    const loopPath = [...scope.slice(0, -1), m[1]].join("/");
    const i = Number(m[2]);
    const loop = state.nodes[loopPath]?.loop;
    if (!loop) return unknown;
    if (loop.items) return i < loop.items.length ? known(loop.items[i]) : unknown;
    if (i === 0) return known(loop.input);
    const before = loop.iterations[i - 1];
    return before?.completedAt !== undefined ? known(before.output) : unknown;
  }
  const prefix = scope.length ? `${scope.join("/")}/` : "";
  const sources = new Map<string, unknown>();
  for (const e of incoming) {
    const src = state.nodes[prefix + e.from];
    if (src?.status !== "succeeded" || !src.hasOutput) continue;
    if ((src.ports ?? ["main"]).includes(e.port ?? "main")) sources.set(e.from, src.output);
  }
  if (!sources.size) return unknown;
  if (sources.size === 1) return known([...sources.values()][0]);
  return known(Object.fromEntries(sources));
}
