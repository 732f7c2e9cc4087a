// Definition ⇄ React Flow graph. The definition is the source of truth that is saved; the
// flow graph is how it is drawn and edited. Loops become group nodes whose `config.body`
// nodes are children (positions relative to the group), so the body can be edited in place
// and rebuilt on the way back. Fields the canvas does not understand ride along untouched.
import type { Body, Definition, EdgeDef, NodeDef, NodeSpec } from "@/api/types";
import { LOOP_TYPES } from "@/api/types";
import { arrange } from "./layout";
import {
  ERROR_PORT,
  MAIN_PORT,
  TARGET_HANDLE,
  type WorkflowEdgeData,
  type WorkflowFlowEdge,
  type WorkflowFlowNode,
} from "./types";

export interface FlowGraph {
  nodes: WorkflowFlowNode[];
  edges: WorkflowFlowEdge[];
}

/** Everything in a definition but its graph: what `flowToDefinition` needs to rebuild it. */
export type DefinitionMeta = Omit<Definition, "nodes" | "edges">;

function isBody(v: unknown): v is Body {
  return !!v && typeof v === "object" && Array.isArray((v as Body).nodes);
}

export function isLoopType(type: string): boolean {
  return LOOP_TYPES.has(type);
}

/** A stable id for an edge: node ids cannot hold `:` or `>`, so no two edges collide. */
export function edgeId(from: string, port: string, to: string): string {
  return `${from}:${port}>${to}`;
}

/** The flow edge for a definition edge; shared with the designer's connect action. */
export function toFlowEdge(e: EdgeDef, id = edgeId(e.from, e.port ?? MAIN_PORT, e.to)): WorkflowFlowEdge {
  const port = e.port ?? MAIN_PORT;
  return {
    id,
    source: e.from,
    target: e.to,
    sourceHandle: port,
    targetHandle: TARGET_HANDLE,
    label: port === MAIN_PORT ? undefined : port,
    className: port === ERROR_PORT ? "weft-edge-error" : undefined,
    data: { def: e } satisfies WorkflowEdgeData,
  };
}

/**
 * Draws a definition. Nodes without a saved position are laid out automatically (per
 * level, so a body is only re-laid when one of its own nodes lacks a position), and every
 * loop group is sized to hold its body.
 */
export function definitionToFlow(def: Definition, specs: readonly NodeSpec[] | ReadonlyMap<string, NodeSpec>): FlowGraph {
  const specOf: ReadonlyMap<string, NodeSpec> =
    specs instanceof Map ? specs : new Map((specs as readonly NodeSpec[]).map((s) => [s.type, s]));
  const nodes: WorkflowFlowNode[] = [];
  const edges: WorkflowFlowEdge[] = [];
  const unplaced = new Set<string>();
  const usedEdgeIds = new Set<string>();

  const walk = (list: NodeDef[], edgeList: EdgeDef[], parentId?: string) => {
    for (const n of list) {
      const spec = specOf.get(n.type);
      const body = n.config?.body;
      const group = isLoopType(n.type) && (body === undefined || isBody(body));
      let nodeDef = n;
      if (group && n.config && "body" in n.config) {
        const { body: _body, ...config } = n.config;
        nodeDef = { ...n, config };
      }
      if (!n.position) unplaced.add(n.id);
      nodes.push({
        id: n.id,
        type: group ? "loop" : "task",
        position: n.position ? { x: n.position.x, y: n.position.y } : { x: 0, y: 0 },
        data: { def: nodeDef, spec },
        ...(parentId ? { parentId, extent: "parent" as const, expandParent: true } : {}),
      });
      // React Flow wants a parent before its children, so a body follows its loop.
      if (group && isBody(body)) walk(body.nodes, body.edges ?? [], n.id);
    }
    for (const e of edgeList) {
      let id = edgeId(e.from, e.port ?? MAIN_PORT, e.to);
      // A definition with a duplicated edge is invalid, but must still draw (and show why).
      for (let i = 2; usedEdgeIds.has(id); i++) id = `${edgeId(e.from, e.port ?? MAIN_PORT, e.to)}#${i}`;
      usedEdgeIds.add(id);
      edges.push(toFlowEdge(e, id));
    }
  };
  walk(def.nodes ?? [], def.edges ?? []);
  return { nodes: arrange(nodes, edges, { mode: "missing", unplaced }), edges };
}

function toEdgeDef(e: WorkflowFlowEdge): EdgeDef {
  const { from: _f, to: _t, port: original, ...extra } = e.data?.def ?? ({} as Partial<EdgeDef>);
  const port = e.sourceHandle ?? MAIN_PORT;
  const out: EdgeDef = { ...extra, from: e.source, to: e.target };
  // Keep an explicit `"port": "main"` if the author wrote one; otherwise main stays implicit.
  if (port !== MAIN_PORT || original === MAIN_PORT) out.port = port;
  return out;
}

/** Rebuilds the definition from the drawn graph (node order kept; positions rounded). */
export function flowToDefinition(
  nodes: readonly WorkflowFlowNode[],
  edges: readonly WorkflowFlowEdge[],
  meta: DefinitionMeta,
): Definition {
  const children = new Map<string, WorkflowFlowNode[]>();
  const parentOf = new Map<string, string | undefined>();
  for (const n of nodes) {
    parentOf.set(n.id, n.parentId);
    if (n.parentId) {
      const list = children.get(n.parentId);
      if (list) list.push(n);
      else children.set(n.parentId, [n]);
    }
  }
  const edgesOf = new Map<string | undefined, EdgeDef[]>();
  for (const e of edges) {
    const level = parentOf.get(e.source);
    const list = edgesOf.get(level);
    if (list) list.push(toEdgeDef(e));
    else edgesOf.set(level, [toEdgeDef(e)]);
  }

  const toNodeDef = (n: WorkflowFlowNode): NodeDef => {
    const out: NodeDef = {
      ...n.data.def,
      id: n.id,
      position: { x: Math.round(n.position.x), y: Math.round(n.position.y) },
    };
    // A loop whose body was not drawable (not {nodes, edges}) keeps it verbatim.
    if (n.type === "loop" && !(n.data.def.config && "body" in n.data.def.config)) {
      out.config = {
        ...n.data.def.config,
        body: { nodes: (children.get(n.id) ?? []).map(toNodeDef), edges: edgesOf.get(n.id) ?? [] },
      };
    }
    return out;
  };

  return {
    ...meta,
    nodes: nodes.filter((n) => !n.parentId).map(toNodeDef),
    edges: edgesOf.get(undefined) ?? [],
  };
}
