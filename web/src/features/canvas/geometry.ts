// Sizes the canvas lays nodes out with before the browser has measured them (first paint,
// auto-layout, tests), kept next to the node components' CSS so the two agree.
import type { WorkflowFlowNode } from "./types";
import { MAIN_PORT } from "./types";
import { sourcePorts } from "./ports";

export const NODE_WIDTH = 224;
/** Header and status line of a task node. */
export const NODE_BASE_HEIGHT = 64;
/** One labelled port row. */
export const PORT_ROW_HEIGHT = 20;
/** Loop group: title bar above the body. */
export const LOOP_HEADER = 56;
export const LOOP_PADDING = 24;
export const LOOP_MIN_WIDTH = 300;
export const LOOP_MIN_HEIGHT = 170;
export const GRID = 16;

/** Whether a task node draws its ports as labelled rows (anything beyond a single `main`). */
export function labelledPorts(ports: string[]): boolean {
  return ports.length > 1 || ports[0] !== MAIN_PORT;
}

/** The size a node renders at, measured when the browser has laid it out, else estimated. */
export function nodeSize(n: WorkflowFlowNode): { width: number; height: number } {
  if (n.type === "loop") {
    // A loop's size is set from its body (see layout.ts), so what it was given is the truth.
    return {
      width: n.width ?? n.measured?.width ?? LOOP_MIN_WIDTH,
      height: n.height ?? n.measured?.height ?? LOOP_MIN_HEIGHT,
    };
  }
  const ports = sourcePorts(n.data.def, n.data.spec);
  return {
    width: n.measured?.width ?? n.width ?? NODE_WIDTH,
    height:
      n.measured?.height ??
      n.height ??
      NODE_BASE_HEIGHT + (labelledPorts(ports) ? ports.length * PORT_ROW_HEIGHT : 0),
  };
}
