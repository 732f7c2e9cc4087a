// Automatic placement (dagre, left to right) that respects loop groups: each body is laid
// out inside its group first, the group sized to hold it, then the level around it. Used for
// definitions saved without positions and for the designer's "Auto layout".
import dagre from "@dagrejs/dagre";
import { nodeSize, LOOP_HEADER, LOOP_MIN_HEIGHT, LOOP_MIN_WIDTH, LOOP_PADDING } from "./geometry";
import type { WorkflowFlowEdge, WorkflowFlowNode } from "./types";

const ROOT = "";

export interface ArrangeOptions {
  /**
   * `all` re-lays every level; `missing` only levels where some node has no saved position
   * (the others keep theirs). Loop sizes are always recomputed from their bodies.
   */
  mode: "all" | "missing";
  /** Node ids without a saved position (for `missing`). */
  unplaced?: ReadonlySet<string>;
}

function levelsOf(nodes: WorkflowFlowNode[]): Map<string, WorkflowFlowNode[]> {
  const levels = new Map<string, WorkflowFlowNode[]>();
  for (const n of nodes) {
    const key = n.parentId ?? ROOT;
    const list = levels.get(key);
    if (list) list.push(n);
    else levels.set(key, [n]);
  }
  return levels;
}

function dagreLevel(
  level: WorkflowFlowNode[],
  edges: WorkflowFlowEdge[],
  sizes: Map<string, { width: number; height: number }>,
  origin: { x: number; y: number },
): Map<string, { x: number; y: number }> {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "LR", nodesep: 36, ranksep: 72, marginx: 0, marginy: 0 });
  g.setDefaultEdgeLabel(() => ({}));
  const ids = new Set(level.map((n) => n.id));
  for (const n of level) g.setNode(n.id, { ...sizes.get(n.id)! });
  for (const e of edges) if (ids.has(e.source) && ids.has(e.target)) g.setEdge(e.source, e.target);
  dagre.layout(g);
  const out = new Map<string, { x: number; y: number }>();
  for (const n of level) {
    const p = g.node(n.id);
    const { width, height } = sizes.get(n.id)!;
    // dagre gives centres; React Flow wants top-left corners.
    out.set(n.id, { x: Math.round(origin.x + p.x - width / 2), y: Math.round(origin.y + p.y - height / 2) });
  }
  return out;
}

/** Lays out `nodes` (returning new node objects where something changed) and sizes loop groups. */
export function arrange(
  nodes: WorkflowFlowNode[],
  edges: WorkflowFlowEdge[],
  { mode, unplaced }: ArrangeOptions,
): WorkflowFlowNode[] {
  const levels = levelsOf(nodes);
  const positions = new Map<string, { x: number; y: number }>();
  const sizes = new Map<string, { width: number; height: number }>();
  const loopSizes = new Map<string, { width: number; height: number }>();

  const visit = (key: string) => {
    const level = levels.get(key) ?? [];
    for (const n of level) {
      if (n.type === "loop") {
        visit(n.id);
        const size = loopSizes.get(n.id)!;
        sizes.set(n.id, size);
      } else {
        sizes.set(n.id, nodeSize(n));
      }
    }
    const origin = key === ROOT ? { x: 0, y: 0 } : { x: LOOP_PADDING, y: LOOP_HEADER + LOOP_PADDING };
    const relayout = mode === "all" || level.some((n) => unplaced?.has(n.id));
    const placed = relayout && level.length ? dagreLevel(level, edges, sizes, origin) : new Map<string, { x: number; y: number }>();
    for (const n of level) positions.set(n.id, placed.get(n.id) ?? n.position);
    if (key !== ROOT) {
      let right = 0;
      let bottom = 0;
      for (const n of level) {
        const p = positions.get(n.id)!;
        const s = sizes.get(n.id)!;
        right = Math.max(right, p.x + s.width);
        bottom = Math.max(bottom, p.y + s.height);
      }
      loopSizes.set(key, {
        width: Math.max(LOOP_MIN_WIDTH, right + LOOP_PADDING),
        height: Math.max(LOOP_MIN_HEIGHT, bottom + LOOP_PADDING),
      });
    }
  };
  visit(ROOT);

  return nodes.map((n) => {
    const p = positions.get(n.id) ?? n.position;
    const size = n.type === "loop" ? loopSizes.get(n.id) : undefined;
    const moved = p.x !== n.position.x || p.y !== n.position.y;
    const resized = !!size && (size.width !== n.width || size.height !== n.height);
    if (!moved && !resized) return n;
    return { ...n, position: { x: p.x, y: p.y }, ...(size ? { width: size.width, height: size.height } : {}) };
  });
}
