// The shared workflow canvas: definition ⇄ React Flow conversion, the node components and
// the read-only WorkflowCanvas that the designer, execution view and version diff build on.
export { WorkflowCanvas, type WorkflowCanvasProps } from "./WorkflowCanvas";
export { definitionToFlow, flowToDefinition, toFlowEdge, edgeId, isLoopType, type FlowGraph, type DefinitionMeta } from "./convert";
export { arrange } from "./layout";
export { decorate, type Decoration } from "./decorate";
export { mergeForDiff, type WorkflowDiff } from "./diff";
export { sourcePorts, hasTarget, SWITCH_DEFAULT_PORT } from "./ports";
export { nodeTypes } from "./nodeTypes";
export { TaskNode, LoopNode } from "./WorkflowNode";
export { iconFor, accentFor, NodeTypeIcon } from "./icons";
export { statusLook } from "./status";
export { minimapColor } from "./minimap";
export { CanvasControls, FIT_VIEW, VIRTUALIZE_AT } from "./chrome";
export { nodeSize, NODE_WIDTH, GRID, LOOP_HEADER, LOOP_PADDING } from "./geometry";
export {
  MAIN_PORT,
  ERROR_PORT,
  TARGET_HANDLE,
  type NodeRunState,
  type NodeRunStatus,
  type DiffHighlight,
  type WorkflowNodeData,
  type WorkflowFlowNode,
  type TaskFlowNode,
  type LoopFlowNode,
  type WorkflowFlowEdge,
  type WorkflowEdgeData,
} from "./types";
