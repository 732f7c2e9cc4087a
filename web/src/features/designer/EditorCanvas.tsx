// The editable canvas: React Flow bound to the designer store. It draws the store's nodes
// (with validation problems laid over them), turns gestures into store actions (drag = one
// undo step, connect = checked edge, drop = new node) and leaves keyboard shortcuts to the
// page, so they work wherever focus is.
import { useCallback, useMemo, type DragEvent } from "react";
import {
  Background,
  BackgroundVariant,
  ReactFlow,
  SelectionMode,
  useReactFlow,
  type Connection,
  type EdgeChange,
  type NodeChange,
} from "@xyflow/react";
import {
  CanvasControls,
  decorate,
  FIT_VIEW,
  GRID,
  nodeTypes,
  VIRTUALIZE_AT,
  type WorkflowFlowEdge,
  type WorkflowFlowNode,
} from "@/features/canvas";
import "@/features/canvas/canvas.css";
import { toast } from "@/components/ui/toast";
import { useDesigner } from "./store";
import { NODE_MIME, useAddNode } from "./useAddNode";

const SNAP: [number, number] = [GRID, GRID];
const MULTI_SELECT_KEYS = ["Meta", "Control"];

export function EditorCanvas({ readOnly = false }: { readOnly?: boolean }) {
  const nodes = useDesigner((s) => s.nodes);
  const edges = useDesigner((s) => s.edges);
  const byNode = useDesigner((s) => s.problems.byNode);
  const snap = useDesigner((s) => s.snapToGrid);
  const rf = useReactFlow<WorkflowFlowNode, WorkflowFlowEdge>();
  const addNode = useAddNode();

  // Only nodes with problems get a new object, so the rest keep their identity (and render).
  const shown = useMemo(
    () => nodes.map((n) => (byNode[n.id] ? decorate(n, { problems: byNode[n.id], selected: n.selected }) : n)),
    [nodes, byNode],
  );

  const onNodesChange = useCallback((c: NodeChange<WorkflowFlowNode>[]) => useDesigner.getState().onNodesChange(c), []);
  const onEdgesChange = useCallback((c: EdgeChange<WorkflowFlowEdge>[]) => useDesigner.getState().onEdgesChange(c), []);
  const onConnect = useCallback((c: Connection) => {
    const problem = useDesigner.getState().connect(c);
    if (problem) toast.error(problem);
  }, []);
  const beginDrag = useCallback(() => useDesigner.getState().beginDrag(), []);
  const endDrag = useCallback(() => useDesigner.getState().endDrag(), []);

  const onDragOver = useCallback(
    (e: DragEvent) => {
      if (readOnly || !e.dataTransfer.types.includes(NODE_MIME)) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = "copy";
    },
    [readOnly],
  );
  const onDrop = useCallback(
    (e: DragEvent) => {
      const type = e.dataTransfer.getData(NODE_MIME);
      if (readOnly || !type) return;
      e.preventDefault();
      addNode(type, rf.screenToFlowPosition({ x: e.clientX, y: e.clientY }));
    },
    [addNode, rf, readOnly],
  );

  return (
    <div className="size-full" data-designer-canvas onDragOver={onDragOver} onDrop={onDrop}>
      <ReactFlow<WorkflowFlowNode, WorkflowFlowEdge>
        nodes={shown}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        onNodeDragStart={beginDrag}
        onNodeDragStop={endDrag}
        onSelectionDragStart={beginDrag}
        onSelectionDragStop={endDrag}
        nodesDraggable={!readOnly}
        nodesConnectable={!readOnly}
        // Deleting goes through the store (bodies, history); see the page's shortcuts.
        deleteKeyCode={null}
        selectionKeyCode="Shift"
        multiSelectionKeyCode={MULTI_SELECT_KEYS}
        selectionMode={SelectionMode.Partial}
        snapToGrid={snap}
        snapGrid={SNAP}
        onlyRenderVisibleElements={nodes.length > VIRTUALIZE_AT}
        {...FIT_VIEW}
        maxZoom={2}
        aria-label="Workflow editor"
      >
        <Background variant={BackgroundVariant.Dots} gap={GRID} />
        <CanvasControls />
      </ReactFlow>
    </div>
  );
}
