// Laying run state, diff highlights, validation problems and selection over drawn nodes
// while keeping every unchanged node the *same object*: React Flow re-renders a node only
// when its object changes, so a 200-node run that updates one node repaints one node.
import type { DiffHighlight, NodeRunState, WorkflowFlowNode } from "./types";

export interface Decoration {
  runState?: NodeRunState;
  highlight?: DiffHighlight;
  problems?: string[];
  selected?: boolean;
  /** Size the browser measured, for canvases that keep nodes outside a store (the minimap needs it). */
  measured?: { width: number; height: number };
}

const EMPTY: readonly string[] = [];

// Keyed by the undecorated node, so entries die with the graph they were made for.
const cache = new WeakMap<WorkflowFlowNode, Map<string, WorkflowFlowNode>>();

function keyOf(d: Decoration): string {
  const rs = d.runState;
  return JSON.stringify([rs?.status, rs?.attempts, rs?.error, d.highlight, d.problems ?? EMPTY, !!d.selected, d.measured?.width, d.measured?.height]);
}

/** `node` with the decoration applied; the same object for the same node and decoration. */
export function decorate(node: WorkflowFlowNode, d: Decoration): WorkflowFlowNode {
  if (!d.runState && !d.highlight && !d.problems?.length && !d.selected && !node.selected && !d.measured) return node;
  const key = keyOf(d);
  let byKey = cache.get(node);
  if (!byKey) {
    byKey = new Map();
    cache.set(node, byKey);
  }
  let out = byKey.get(key);
  if (!out) {
    out = {
      ...node,
      selected: !!d.selected,
      ...(d.measured ? { measured: d.measured } : {}),
      data: {
        ...node.data,
        runState: d.runState,
        highlight: d.highlight,
        problems: d.problems?.length ? d.problems : undefined,
      },
    } as WorkflowFlowNode;
    byKey.set(key, out);
  }
  return out;
}
