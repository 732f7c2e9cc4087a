// The read-only canvas: a definition drawn with run state, diff highlights and a selected
// node laid over it. The execution view and the version diff use it; nothing here edits.
import { useCallback, useMemo, useState, type KeyboardEvent } from "react";
import { Background, ReactFlow, ReactFlowProvider, type NodeChange, type NodeMouseHandler } from "@xyflow/react";
import type { Definition, NodeSpec } from "@/api/types";
import { definitionToFlow } from "./convert";
import { decorate } from "./decorate";
import { nodeTypes } from "./nodeTypes";
import { CanvasControls, FIT_VIEW, VIRTUALIZE_AT } from "./chrome";
import type { DiffHighlight, NodeRunState, WorkflowFlowNode } from "./types";
import "./canvas.css";

export interface WorkflowCanvasProps {
  definition: Definition;
  specs: NodeSpec[];
  /** Keyed by node id (body nodes by their own id). */
  runState?: Record<string, NodeRunState>;
  selectedNodeId?: string;
  onNodeClick?: (id: string) => void;
  highlight?: Record<string, DiffHighlight>;
  /** Accessible name of the canvas region. */
  label?: string;
  className?: string;
}

function CanvasInner({
  definition,
  specs,
  runState,
  selectedNodeId,
  onNodeClick,
  highlight,
  label = "Workflow graph",
  className,
}: WorkflowCanvasProps) {
  const base = useMemo(() => definitionToFlow(definition, specs), [definition, specs]);
  // Nothing here is editable, but React Flow reports measured sizes as changes, and the
  // minimap only draws nodes whose size it was told.
  const [measured, setMeasured] = useState<Record<string, { width: number; height: number }>>({});
  const onNodesChange = useCallback((changes: NodeChange<WorkflowFlowNode>[]) => {
    const sized = changes.filter((c) => c.type === "dimensions" && c.dimensions);
    if (!sized.length) return;
    setMeasured((prev) => {
      const next = { ...prev };
      for (const c of sized) if (c.type === "dimensions" && c.dimensions) next[c.id] = c.dimensions;
      return next;
    });
  }, []);
  const nodes = useMemo(
    () =>
      base.nodes.map((n) =>
        decorate(n, {
          runState: runState?.[n.id],
          highlight: highlight?.[n.id],
          selected: n.id === selectedNodeId,
          measured: measured[n.id],
        }),
      ),
    [base, runState, highlight, selectedNodeId, measured],
  );
  const handleClick = useCallback<NodeMouseHandler<WorkflowFlowNode>>((_, n) => onNodeClick?.(n.id), [onNodeClick]);
  // React Flow nodes are focusable but only react to the mouse; Enter/Space select too.
  const handleKey = useCallback(
    (e: KeyboardEvent<HTMLDivElement>) => {
      if (e.key !== "Enter" && e.key !== " ") return;
      const el = (e.target as HTMLElement).closest<HTMLElement>(".react-flow__node");
      const id = el?.dataset.id;
      if (id && onNodeClick) {
        e.preventDefault();
        onNodeClick(id);
      }
    },
    [onNodeClick],
  );
  return (
    <div className={className ?? "size-full"} role="region" aria-label={label} onKeyDown={handleKey}>
      <ReactFlow<WorkflowFlowNode>
        nodes={nodes}
        edges={base.edges}
        nodeTypes={nodeTypes}
        onNodeClick={handleClick}
        onNodesChange={onNodesChange}
        nodesDraggable={false}
        nodesConnectable={false}
        elementsSelectable={false}
        edgesFocusable={false}
        nodesFocusable={!!onNodeClick}
        onlyRenderVisibleElements={nodes.length > VIRTUALIZE_AT}
        {...FIT_VIEW}
      >
        <Background gap={16} />
        <CanvasControls />
      </ReactFlow>
    </div>
  );
}

/** A read-only drawing of `definition`; each instance has its own React Flow store. */
export function WorkflowCanvas(props: WorkflowCanvasProps) {
  return (
    <ReactFlowProvider>
      <CanvasInner {...props} />
    </ReactFlowProvider>
  );
}
