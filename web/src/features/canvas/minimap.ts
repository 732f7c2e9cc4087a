// Minimap colours: status when a run is shown, else diff highlight, else validation, so the
// overview tells the same story as the nodes.
import { statusLook } from "./status";
import type { WorkflowFlowNode } from "./types";

const highlightFill = { added: "#10b981", removed: "#f87171", changed: "#f59e0b" } as const;

export function minimapColor(n: WorkflowFlowNode): string {
  const d = n.data;
  if (d.runState) return statusLook[d.runState.status].fill;
  if (d.highlight) return highlightFill[d.highlight];
  if (d.problems?.length) return "#dc2626";
  return n.type === "loop" ? "#bae6fd" : "#cbd5e1";
}
