// The React Flow shapes every workflow canvas shares (designer, execution view, version
// diff): one node type for tasks, one for loop groups, and the decorations a caller can lay
// over a definition (run state, diff highlight, validation problems) without changing it.
import type { Edge, Node } from "@xyflow/react";
import type { EdgeDef, NodeDef, NodeSpec } from "@/api/types";

export type NodeRunStatus = "queued" | "running" | "succeeded" | "failed" | "skipped" | "waiting";

export interface NodeRunState {
  status: NodeRunStatus;
  attempts: number;
  error?: string;
}

export type DiffHighlight = "added" | "removed" | "changed";

export interface WorkflowNodeData extends Record<string, unknown> {
  /**
   * The node as the definition holds it, unknown fields included. For loops `config.body`
   * is left out: the body lives on the canvas as child nodes and is rebuilt from them.
   */
  def: NodeDef;
  /** The catalog entry for `def.type`; absent for a type this server does not know. */
  spec?: NodeSpec;
  runState?: NodeRunState;
  highlight?: DiffHighlight;
  /** Validation messages about this node; non-empty marks it invalid. */
  problems?: string[];
}

export type TaskFlowNode = Node<WorkflowNodeData, "task">;
export type LoopFlowNode = Node<WorkflowNodeData, "loop">;
export type WorkflowFlowNode = TaskFlowNode | LoopFlowNode;

export interface WorkflowEdgeData extends Record<string, unknown> {
  /** The edge as the definition holds it (unknown fields kept); from/to/port follow the flow edge. */
  def: EdgeDef;
}

export type WorkflowFlowEdge = Edge<WorkflowEdgeData>;

/** Target handle id every non-trigger node has. */
export const TARGET_HANDLE = "in";
/** The port an edge without `port` leaves from. */
export const MAIN_PORT = "main";
/** The extra port of a node whose `on_error` is `route`. */
export const ERROR_PORT = "error";
