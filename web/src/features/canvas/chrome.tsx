// What every canvas shows and does alike, read-only or editable: when to stop rendering nodes
// out of view, how the first view fits the graph, and the minimap and zoom controls.
import { Controls, MiniMap } from "@xyflow/react";
import { minimapColor } from "./minimap";

/** Beyond this many nodes only those in view are rendered. */
export const VIRTUALIZE_AT = 120;

/** Props for `<ReactFlow>`: the whole graph in view at first, never zoomed in beyond 125 %. */
export const FIT_VIEW = { fitView: true, fitViewOptions: { padding: 0.15, maxZoom: 1.25 }, minZoom: 0.1 } as const;

/** The minimap and the zoom buttons, for inside `<ReactFlow>`. */
export function CanvasControls() {
  return (
    <>
      <MiniMap pannable zoomable nodeColor={minimapColor} ariaLabel="Minimap" />
      <Controls showInteractive={false} />
    </>
  );
}
