// Node and edge type maps at module scope: React Flow re-mounts every node when these
// objects change identity, so they must never be built during render.
import type { NodeTypes } from "@xyflow/react";
import { LoopNode, TaskNode } from "./WorkflowNode";

export const nodeTypes: NodeTypes = { task: TaskNode, loop: LoopNode };
