// Validation problems point into the definition by JSON pointer (`/nodes/3/config/url`,
// `/nodes/2/config/body/nodes/0/…` inside a loop, `/edges/1/to`). The designer shows them on
// the node and the field at fault, so each pointer is resolved to a node id and a path
// inside that node, against the definition that was validated.
import type { Definition, EdgeDef, NodeDef, ValidationProblem } from "@/api/types";

export interface LocatedProblem extends ValidationProblem {
  /** The node at fault (for an edge, its source), when the pointer reaches one. */
  nodeId?: string;
  /** The path inside that node, e.g. `config/url`, `retry/max_attempts`, `id`; "" for the node itself. */
  field?: string;
}

export interface ProblemIndex {
  list: LocatedProblem[];
  /** Messages per node id. */
  byNode: Record<string, string[]>;
  /** Messages per node id and field path. */
  byField: Record<string, Record<string, string[]>>;
}

export const NO_PROBLEMS: ProblemIndex = { list: [], byNode: {}, byField: {} };

function tokens(pointer: string): string[] {
  if (!pointer || pointer === "/") return [];
  return pointer
    .replace(/^\//, "")
    .split("/")
    .map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
}

const isIndex = (t: string | undefined) => t !== undefined && /^\d+$/.test(t);

interface Graph {
  nodes?: NodeDef[];
  edges?: EdgeDef[];
}

/** Resolves one pointer to the node (and field) it is about. */
export function locate(def: Definition, pointer: string): { nodeId?: string; field?: string; edge?: EdgeDef } {
  const t = tokens(pointer);
  let graph: Graph = def;
  let owner: string | undefined;
  let i = 0;
  for (;;) {
    if (t[i] === "nodes" && isIndex(t[i + 1])) {
      const node = graph.nodes?.[Number(t[i + 1])];
      if (!node) return { nodeId: owner };
      const rest = t.slice(i + 2);
      const body = node.config?.body as Graph | undefined;
      if (rest[0] === "config" && rest[1] === "body" && (rest[2] === "nodes" || rest[2] === "edges") && body && typeof body === "object") {
        // A problem about the body as a whole (e.g. "needs at least one node") stays on the loop.
        if (rest.length === 3 || (rest[2] === "nodes" && !isIndex(rest[3])) || (rest[2] === "edges" && !isIndex(rest[3])))
          return { nodeId: node.id, field: rest.join("/") };
        graph = body;
        owner = node.id;
        i += 4;
        continue;
      }
      return { nodeId: node.id, field: rest.join("/") };
    }
    if (t[i] === "edges" && isIndex(t[i + 1])) {
      const edge = graph.edges?.[Number(t[i + 1])];
      return { nodeId: edge?.from ?? owner, edge };
    }
    return { nodeId: owner, field: owner ? t.slice(i).join("/") : undefined };
  }
}

/** Indexes problems by node and field, resolving pointers against the validated definition. */
export function indexProblems(def: Definition, problems: readonly ValidationProblem[]): ProblemIndex {
  if (!problems.length) return NO_PROBLEMS;
  const out: ProblemIndex = { list: [], byNode: {}, byField: {} };
  for (const p of problems) {
    const { nodeId, field, edge } = locate(def, p.pointer);
    const message = edge ? `Edge ${edge.from} → ${edge.to}: ${p.message}` : p.message;
    const text = p.hint ? `${message} (${p.hint})` : message;
    out.list.push({ ...p, message, nodeId, field: edge ? undefined : field });
    if (!nodeId) continue;
    (out.byNode[nodeId] ??= []).push(text);
    if (field !== undefined && !edge) ((out.byField[nodeId] ??= {})[field] ??= []).push(text);
  }
  return out;
}

/**
 * The messages for a form field: its own, and (for a field edited as one widget, like a
 * key-value list) those of anything inside it.
 */
export function fieldMessages(byField: Record<string, string[]> | undefined, path: string, includeNested: boolean): string[] {
  if (!byField) return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(byField)) {
    if (k === path || (includeNested && k.startsWith(path + "/"))) out.push(...v);
  }
  return out;
}
