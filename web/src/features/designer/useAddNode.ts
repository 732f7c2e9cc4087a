// Adding a node from the palette: at a drop point, or (keyboard) at the centre of what is in
// view. Landing on a loop group puts the node in that loop's body, at the point relative to
// the group, the innermost loop winning when loops are nested.
import { useCallback } from "react";
import { useReactFlow, type XYPosition } from "@xyflow/react";
import { NODE_WIDTH, type WorkflowFlowNode } from "@/features/canvas";
import { useDesigner, BODY_ORIGIN } from "./store";

/** The palette's drag payload type. */
export const NODE_MIME = "application/weft-node";

export const CANVAS_SELECTOR = "[data-designer-canvas]";

export function useAddNode() {
  const rf = useReactFlow<WorkflowFlowNode>();
  return useCallback(
    (type: string, at?: XYPosition): string => {
      let point = at;
      if (!point) {
        const rect = document.querySelector(CANVAS_SELECTOR)?.getBoundingClientRect();
        point = rf.screenToFlowPosition(
          rect ? { x: rect.left + rect.width / 2, y: rect.top + rect.height / 2 } : { x: innerWidth / 2, y: innerHeight / 2 },
        );
      }
      // Centre the new node on the point rather than hanging it from its corner.
      const target = { x: point.x - NODE_WIDTH / 2, y: point.y - 32 };
      let parent: { id: string; x: number; y: number; area: number } | undefined;
      for (const n of useDesigner.getState().nodes) {
        if (n.type !== "loop") continue;
        const internal = rf.getInternalNode(n.id);
        if (!internal) continue;
        const { x, y } = internal.internals.positionAbsolute;
        const w = internal.measured.width ?? n.width ?? 0;
        const h = internal.measured.height ?? n.height ?? 0;
        if (point.x >= x && point.x <= x + w && point.y >= y && point.y <= y + h && (!parent || w * h < parent.area))
          parent = { id: n.id, x, y, area: w * h };
      }
      const { addNode, snapToGrid } = useDesigner.getState();
      let pos = parent ? { x: target.x - parent.x, y: target.y - parent.y } : target;
      if (parent) pos = { x: Math.max(BODY_ORIGIN.x, pos.x), y: Math.max(BODY_ORIGIN.y, pos.y) };
      if (snapToGrid) pos = { x: Math.round(pos.x / 16) * 16, y: Math.round(pos.y / 16) * 16 };
      return addNode(type, pos, parent?.id);
    },
    [rf],
  );
}
