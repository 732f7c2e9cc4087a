// What may be connected to what, checked before an edge is drawn so the person learns why
// at once (the validator would refuse it later): no self loops, no cycles (repetition is
// what loop nodes are for), no edges across a loop boundary, no duplicate edges.
import type { Connection } from "@xyflow/react";
import { MAIN_PORT, type WorkflowFlowEdge, type WorkflowFlowNode } from "@/features/canvas";

/** Whether `to` can already reach `from` along edges, i.e. from → to would close a cycle. */
function reaches(edges: readonly WorkflowFlowEdge[], start: string, goal: string): boolean {
  const out = new Map<string, string[]>();
  for (const e of edges) {
    const list = out.get(e.source);
    if (list) list.push(e.target);
    else out.set(e.source, [e.target]);
  }
  const seen = new Set<string>([start]);
  const stack = [start];
  while (stack.length) {
    const id = stack.pop()!;
    if (id === goal) return true;
    for (const next of out.get(id) ?? []) {
      if (!seen.has(next)) {
        seen.add(next);
        stack.push(next);
      }
    }
  }
  return false;
}

/** Why this connection is not allowed, or null when it is. */
export function connectionProblem(
  nodes: readonly WorkflowFlowNode[],
  edges: readonly WorkflowFlowEdge[],
  c: Pick<Connection, "source" | "target" | "sourceHandle">,
): string | null {
  if (!c.source || !c.target) return "Connect an output port to a node's input.";
  if (c.source === c.target) return "A node cannot be connected to itself.";
  const from = nodes.find((n) => n.id === c.source);
  const to = nodes.find((n) => n.id === c.target);
  if (!from || !to) return "Both ends must be nodes on the canvas.";
  if (to.data.spec?.trigger) return `${to.id} is a trigger: it starts the workflow and takes no input.`;
  if (from.parentId !== to.parentId) {
    if (to.id === from.parentId || from.id === to.parentId)
      return "A loop's body is not connected to the loop itself: its entry nodes are the ones without incoming edges.";
    return "Edges cannot cross a loop boundary: connect nodes inside the same loop body, or both outside it.";
  }
  const port = c.sourceHandle ?? MAIN_PORT;
  if (edges.some((e) => e.source === c.source && e.target === c.target && (e.sourceHandle ?? MAIN_PORT) === port))
    return `${c.source} (${port}) is already connected to ${c.target}.`;
  if (reaches(edges, c.target, c.source))
    return "That would make a cycle. To repeat steps, put them in a For each or While loop.";
  return null;
}
