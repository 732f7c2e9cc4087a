// A visual diff needs one graph that holds both versions: the newer definition plus the
// nodes (and their edges) that only the older one had, each tagged added/removed/changed
// from the gateway's diff, so WorkflowCanvas can highlight them in place.
import type { Definition, EdgeDef } from "@/api/types";
import type { DiffHighlight } from "./types";

/** `GET /workflows/{id}/diff`, as the gateway answers it. */
export interface WorkflowDiff {
  from: number;
  to: number;
  added_nodes: string[];
  removed_nodes: string[];
  changed_nodes: { id: string; fields?: string[]; before?: unknown; after?: unknown }[];
  moved_nodes: string[];
  added_edges: EdgeDef[];
  removed_edges: EdgeDef[];
  changed_fields: string[];
}

export function mergeForDiff(
  before: Definition,
  after: Definition,
  diff: Pick<WorkflowDiff, "added_nodes" | "removed_nodes" | "changed_nodes" | "removed_edges">,
): { definition: Definition; highlight: Record<string, DiffHighlight> } {
  const highlight: Record<string, DiffHighlight> = {};
  for (const id of diff.added_nodes) highlight[id] = "added";
  for (const c of diff.changed_nodes) highlight[c.id] = "changed";
  const removed = new Set(diff.removed_nodes);
  const ghosts = before.nodes.filter((n) => removed.has(n.id));
  for (const n of ghosts) highlight[n.id] = "removed";
  const ids = new Set([...after.nodes.map((n) => n.id), ...ghosts.map((n) => n.id)]);
  const ghostEdges = diff.removed_edges.filter((e) => ids.has(e.from) && ids.has(e.to));
  return {
    definition: { ...after, nodes: [...after.nodes, ...ghosts], edges: [...(after.edges ?? []), ...ghostEdges] },
    highlight,
  };
}
