// The designer's editing state: the graph being drawn (React Flow nodes and edges), the
// workflow's other fields, undo/redo history, clipboard, dirty tracking and validation
// problems. Every edit goes through an action here, so history, the dirty flag and the
// draft autosave see all of them; node components never hold callbacks.
import { create } from "zustand";
import { applyEdgeChanges, applyNodeChanges, type Connection, type EdgeChange, type NodeChange, type XYPosition } from "@xyflow/react";
import type { Definition, NodeDef, NodeSpec, ValidationProblem } from "@/api/types";
import {
  arrange,
  definitionToFlow,
  edgeId,
  flowToDefinition,
  isLoopType,
  sourcePorts,
  toFlowEdge,
  LOOP_HEADER,
  LOOP_PADDING,
  MAIN_PORT,
  TARGET_HANDLE,
  type DefinitionMeta,
  type WorkflowFlowEdge,
  type WorkflowFlowNode,
} from "@/features/canvas";
import { connectionProblem } from "./connect";
import { idProblem, uniqueId } from "./ids";
import { indexProblems, NO_PROBLEMS, type ProblemIndex } from "./pointers";

/** Undo depth. */
const HISTORY_LIMIT = 100;
/** Edits to the same field within this window are one undo step (typing a word). */
const COALESCE_MS = 1200;
/** How far each successive paste lands from the copied nodes. */
const PASTE_OFFSET = 40;

export interface Snapshot {
  nodes: WorkflowFlowNode[];
  edges: WorkflowFlowEdge[];
  meta: DefinitionMeta;
  /** Identifies this content; equal ids mean equal content (see `dirty`). */
  stateId: number;
}

interface ClipNode {
  node: WorkflowFlowNode;
  /** Position on the canvas, for pasting a body node where its loop is gone. */
  absolute: XYPosition;
}

export interface Clipboard {
  nodes: ClipNode[];
  edges: WorkflowFlowEdge[];
}

export interface LoadInput {
  workflowId: string;
  /** The saved version the edit starts from (sent back as `expected_version`). */
  version: number;
  definition: Definition;
  specs: readonly NodeSpec[];
  /** The content differs from `version` (a restored draft): start dirty. */
  dirty?: boolean;
}

export interface DesignerState {
  workflowId: string | null;
  baseVersion: number;
  meta: DefinitionMeta;
  nodes: WorkflowFlowNode[];
  edges: WorkflowFlowEdge[];
  specs: ReadonlyMap<string, NodeSpec>;
  stateId: number;
  savedStateId: number;
  /** Content differs from the version it was loaded or last saved as. */
  dirty: boolean;
  past: Snapshot[];
  future: Snapshot[];
  clipboard: Clipboard | null;
  pasteCount: number;
  snapToGrid: boolean;
  problems: ProblemIndex;
  /** The state a drag started from, committed as one undo step when it ends. */
  dragStart: Snapshot | null;
  lastCommit: { key: string; at: number } | null;

  load(input: LoadInput): void;
  definition(): Definition;
  onNodesChange(changes: NodeChange<WorkflowFlowNode>[]): void;
  onEdgesChange(changes: EdgeChange<WorkflowFlowEdge>[]): void;
  beginDrag(): void;
  endDrag(): void;
  /** Adds an edge; returns why not when the connection breaks a rule. */
  connect(c: Connection): string | null;
  /** Adds a node of `type` at `position` (relative to `parentId` when given); returns its id. */
  addNode(type: string, position: XYPosition, parentId?: string): string;
  /** Changes fields of a node's definition; `undefined` removes a field. */
  updateNode(id: string, patch: Partial<Omit<NodeDef, "id" | "type">>, coalesceKey?: string): void;
  /** Renames a node (edges and body follow); returns why not when the id is unusable. */
  renameNode(id: string, next: string): string | null;
  setMeta(patch: Partial<DefinitionMeta>, coalesceKey?: string): void;
  select(ids: readonly string[]): void;
  selectAll(): void;
  deleteSelection(): number;
  deleteNodes(ids: readonly string[]): void;
  copySelection(): number;
  paste(): string[];
  undo(): void;
  redo(): void;
  autoLayout(): void;
  toggleSnap(): void;
  /** The content of `stateId` (default: the current one) was saved as `version`. */
  markSaved(version: number, stateId?: number): void;
  /** Replaces the whole definition as one undoable edit (restoring an old version). */
  replaceDefinition(definition: Definition): void;
  /** Forgets the workflow (leaving the designer); the clipboard stays for the next one. */
  reset(): void;
  /** Problems from the validator (or a refused save) for `validated`, the definition checked. */
  setProblems(validated: Definition, problems: readonly ValidationProblem[]): void;
}

let stateSeq = 0;
const nextStateId = () => ++stateSeq;

function snapshot(s: DesignerState): Snapshot {
  return { nodes: s.nodes, edges: s.edges, meta: s.meta, stateId: s.stateId };
}

/** The state after a content change: history pushed (or coalesced), future cleared, dirty. */
function commit(s: DesignerState, next: Partial<DesignerState>, coalesceKey?: string): Partial<DesignerState> {
  const now = Date.now();
  const coalesce = !!coalesceKey && s.lastCommit?.key === coalesceKey && now - s.lastCommit.at < COALESCE_MS;
  const stateId = nextStateId();
  return {
    ...next,
    past: coalesce ? s.past : [...s.past, snapshot(s)].slice(-HISTORY_LIMIT),
    future: [],
    stateId,
    dirty: stateId !== s.savedStateId,
    lastCommit: coalesceKey ? { key: coalesceKey, at: now } : null,
  };
}

function restore(s: DesignerState, snap: Snapshot): Partial<DesignerState> {
  return {
    nodes: snap.nodes,
    edges: snap.edges,
    meta: snap.meta,
    stateId: snap.stateId,
    dirty: snap.stateId !== s.savedStateId,
    lastCommit: null,
  };
}

/** `ids` plus every node inside them (loop bodies, nested). */
function withDescendants(nodes: readonly WorkflowFlowNode[], ids: Iterable<string>): Set<string> {
  const out = new Set(ids);
  let grew = true;
  while (grew) {
    grew = false;
    for (const n of nodes) {
      if (n.parentId && out.has(n.parentId) && !out.has(n.id)) {
        out.add(n.id);
        grew = true;
      }
    }
  }
  return out;
}

function absolutePosition(nodes: readonly WorkflowFlowNode[], n: WorkflowFlowNode): XYPosition {
  let { x, y } = n.position;
  let parent = n.parentId;
  while (parent) {
    const p = nodes.find((m) => m.id === parent);
    if (!p) break;
    x += p.position.x;
    y += p.position.y;
    parent = p.parentId;
  }
  return { x, y };
}

function dropUndefined<T extends object>(o: T): T {
  const out = { ...o };
  for (const k of Object.keys(out) as (keyof T)[]) if (out[k] === undefined) delete out[k];
  return out;
}

/** The config a new node starts with: required fields that have a default. */
function starterConfig(spec?: NodeSpec): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  const props = spec?.schema.properties ?? {};
  for (const key of spec?.schema.required ?? []) {
    const p = props[key];
    if (key === "body") continue;
    if (p?.default !== undefined) config[key] = structuredClone(p.default);
  }
  if (spec?.ports.kind === "cases") config.cases = [{ name: "case_1", condition: "{{ true }}" }];
  return config;
}

const emptyMeta: DefinitionMeta = { name: "" };

export const useDesigner = create<DesignerState>()((set, get) => ({
  workflowId: null,
  baseVersion: 0,
  meta: emptyMeta,
  nodes: [],
  edges: [],
  specs: new Map(),
  stateId: 0,
  savedStateId: 0,
  dirty: false,
  past: [],
  future: [],
  clipboard: null,
  pasteCount: 0,
  snapToGrid: true,
  problems: NO_PROBLEMS,
  dragStart: null,
  lastCommit: null,

  load({ workflowId, version, definition, specs, dirty = false }) {
    const specMap = new Map(specs.map((s) => [s.type, s]));
    const { nodes, edges } = definitionToFlow(definition, specMap);
    const { nodes: _n, edges: _e, ...meta } = definition;
    const stateId = nextStateId();
    set({
      workflowId,
      baseVersion: version,
      meta,
      nodes,
      edges,
      specs: specMap,
      stateId,
      savedStateId: dirty ? -1 : stateId,
      dirty,
      past: [],
      future: [],
      pasteCount: 0,
      problems: NO_PROBLEMS,
      dragStart: null,
      lastCommit: null,
    });
  },

  definition() {
    const s = get();
    return flowToDefinition(s.nodes, s.edges, s.meta);
  },

  onNodesChange(changes) {
    const s = get();
    // Measuring, selecting and mid-drag moves are not edits; a move outside a drag (arrow
    // keys) is one; removals go through deleteSelection so bodies and history follow.
    const relevant = changes.filter((c) => c.type !== "remove");
    if (!relevant.length) return;
    const nodes = applyNodeChanges(relevant, s.nodes);
    const isEdit = relevant.some((c) => c.type === "position" && !c.dragging && !s.dragStart && c.position);
    set(isEdit ? commit(s, { nodes }) : { nodes });
  },

  onEdgesChange(changes) {
    const s = get();
    const relevant = changes.filter((c) => c.type !== "remove");
    if (relevant.length) set({ edges: applyEdgeChanges(relevant, s.edges) });
  },

  beginDrag() {
    const s = get();
    if (!s.dragStart) set({ dragStart: snapshot(s) });
  },

  endDrag() {
    const s = get();
    const start = s.dragStart;
    if (!start) return;
    const before = new Map(start.nodes.map((n) => [n.id, n]));
    const moved = s.nodes.some((n) => {
      const b = before.get(n.id);
      return !b || b.position.x !== n.position.x || b.position.y !== n.position.y || b.width !== n.width || b.height !== n.height;
    });
    if (!moved) {
      set({ dragStart: null });
      return;
    }
    const stateId = nextStateId();
    set({
      dragStart: null,
      past: [...s.past, start].slice(-HISTORY_LIMIT),
      future: [],
      stateId,
      dirty: stateId !== s.savedStateId,
      lastCommit: null,
    });
  },

  connect(c) {
    const s = get();
    const problem = connectionProblem(s.nodes, s.edges, c);
    if (problem) return problem;
    const port = c.sourceHandle ?? MAIN_PORT;
    const edge = toFlowEdge({ from: c.source, to: c.target, ...(port === MAIN_PORT ? {} : { port }) });
    set(commit(s, { edges: [...s.edges, { ...edge, targetHandle: c.targetHandle ?? TARGET_HANDLE }] }));
    return null;
  },

  addNode(type, position, parentId) {
    const s = get();
    const spec = s.specs.get(type);
    const id = uniqueId(type, new Set(s.nodes.map((n) => n.id)));
    const loop = isLoopType(type);
    const def: NodeDef = { id, type, config: starterConfig(spec) };
    const node: WorkflowFlowNode = {
      id,
      type: loop ? "loop" : "task",
      position: { x: Math.round(position.x), y: Math.round(position.y) },
      data: { def, spec },
      selected: true,
      ...(loop ? { width: 380, height: 200 } : {}),
      ...(parentId ? { parentId, extent: "parent" as const, expandParent: true } : {}),
    };
    const nodes = [...s.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), node];
    // A loop grows to hold what was dropped into it (only sizes change: nothing is re-laid).
    set(commit(s, { nodes: parentId ? arrange(nodes, s.edges, { mode: "missing" }) : nodes }));
    return id;
  },

  updateNode(id, patch, coalesceKey) {
    const s = get();
    const node = s.nodes.find((n) => n.id === id);
    if (!node) return;
    const def = dropUndefined({ ...node.data.def, ...patch } as NodeDef);
    const nodes = s.nodes.map((n) => (n === node ? { ...n, data: { ...n.data, def } } : n));
    // Renaming a switch case renames its port: edges leaving it follow (matched by position).
    const before = sourcePorts(node.data.def, node.data.spec);
    const after = sourcePorts(def, node.data.spec);
    let edges = s.edges;
    if (before.length === after.length && before.some((p, i) => p !== after[i])) {
      const renamed = new Map(before.map((p, i) => [p, after[i]]));
      edges = s.edges.map((e) => {
        const to = e.source === id ? renamed.get(e.sourceHandle ?? MAIN_PORT) : undefined;
        if (!to || to === e.sourceHandle) return e;
        const port = to === MAIN_PORT ? undefined : to;
        return { ...toFlowEdge({ ...e.data?.def, from: e.source, to: e.target, port }), selected: e.selected };
      });
    }
    set(commit(s, { nodes, edges }, coalesceKey ?? `node:${id}:${Object.keys(patch).join(",")}`));
  },

  renameNode(id, next) {
    const s = get();
    if (id === next) return null;
    const problem = idProblem(next, new Set(s.nodes.map((n) => n.id)), id);
    if (problem) return problem;
    const nodes = s.nodes.map((n) => {
      if (n.id === id) return { ...n, id: next, data: { ...n.data, def: { ...n.data.def, id: next } } };
      if (n.parentId === id) return { ...n, parentId: next };
      return n;
    });
    const edges = s.edges.map((e) => {
      if (e.source !== id && e.target !== id) return e;
      const source = e.source === id ? next : e.source;
      const target = e.target === id ? next : e.target;
      return { ...e, id: edgeId(source, e.sourceHandle ?? MAIN_PORT, target), source, target };
    });
    set(commit(s, { nodes, edges }));
    return null;
  },

  setMeta(patch, coalesceKey) {
    const s = get();
    set(commit(s, { meta: dropUndefined({ ...s.meta, ...patch }) }, coalesceKey ?? `meta:${Object.keys(patch).join(",")}`));
  },

  select(ids) {
    const want = new Set(ids);
    const s = get();
    set({
      nodes: s.nodes.map((n) => (!!n.selected === want.has(n.id) ? n : { ...n, selected: want.has(n.id) })),
      edges: s.edges.map((e) => (e.selected ? { ...e, selected: false } : e)),
    });
  },

  selectAll() {
    const s = get();
    set({
      nodes: s.nodes.map((n) => (n.selected ? n : { ...n, selected: true })),
      edges: s.edges.map((e) => (e.selected ? e : { ...e, selected: true })),
    });
  },

  deleteSelection() {
    const s = get();
    const ids = s.nodes.filter((n) => n.selected).map((n) => n.id);
    const edgeIds = new Set(s.edges.filter((e) => e.selected).map((e) => e.id));
    if (!ids.length && !edgeIds.size) return 0;
    const gone = withDescendants(s.nodes, ids);
    set(
      commit(s, {
        nodes: s.nodes.filter((n) => !gone.has(n.id)),
        edges: s.edges.filter((e) => !edgeIds.has(e.id) && !gone.has(e.source) && !gone.has(e.target)),
      }),
    );
    return gone.size + edgeIds.size;
  },

  deleteNodes(ids) {
    const s = get();
    const gone = withDescendants(s.nodes, ids);
    if (!gone.size) return;
    set(
      commit(s, {
        nodes: s.nodes.filter((n) => !gone.has(n.id)),
        edges: s.edges.filter((e) => !gone.has(e.source) && !gone.has(e.target)),
      }),
    );
  },

  copySelection() {
    const s = get();
    const ids = withDescendants(
      s.nodes,
      s.nodes.filter((n) => n.selected).map((n) => n.id),
    );
    if (!ids.size) return 0;
    const nodes = s.nodes
      .filter((n) => ids.has(n.id))
      .map((n) => ({ node: structuredClone({ ...n, selected: false, data: { def: n.data.def } }), absolute: absolutePosition(s.nodes, n) }));
    const edges = s.edges.filter((e) => ids.has(e.source) && ids.has(e.target)).map((e) => structuredClone({ ...e, selected: false }));
    set({ clipboard: { nodes, edges }, pasteCount: 0 });
    return nodes.length;
  },

  paste() {
    const s = get();
    const clip = s.clipboard;
    if (!clip?.nodes.length) return [];
    const pasteCount = s.pasteCount + 1;
    const offset = PASTE_OFFSET * pasteCount;
    const taken = new Set(s.nodes.map((n) => n.id));
    const existing = new Set(taken);
    const idMap = new Map<string, string>();
    for (const { node } of clip.nodes) {
      const id = uniqueId(node.data.def.type, taken);
      taken.add(id);
      idMap.set(node.id, id);
    }
    const pasted: WorkflowFlowNode[] = clip.nodes.map(({ node, absolute }) => {
      const id = idMap.get(node.id)!;
      const inClip = node.parentId ? idMap.get(node.parentId) : undefined;
      // A body node keeps its loop when the loop was copied too or is still on the canvas.
      const parentId = inClip ?? (node.parentId && existing.has(node.parentId) ? node.parentId : undefined);
      const base = inClip ? node.position : parentId ? node.position : absolute;
      const position = inClip ? base : { x: base.x + offset, y: base.y + offset };
      const spec = s.specs.get(node.data.def.type);
      const { parentId: _p, extent: _x, expandParent: _e, ...rest } = node;
      return {
        ...rest,
        id,
        position,
        selected: true,
        data: { def: { ...structuredClone(node.data.def), id }, spec },
        ...(parentId ? { parentId, extent: "parent" as const, expandParent: true } : {}),
      } as WorkflowFlowNode;
    });
    const edges = clip.edges.map((e) => {
      const from = idMap.get(e.source)!;
      const to = idMap.get(e.target)!;
      const port = e.sourceHandle ?? MAIN_PORT;
      return toFlowEdge({ ...(e.data?.def ?? {}), from, to, ...(port === MAIN_PORT ? {} : { port }) });
    });
    const nodes = s.nodes.map((n) => (n.selected ? { ...n, selected: false } : n));
    set({ ...commit(s, { nodes: [...nodes, ...pasted], edges: [...s.edges.map((e) => (e.selected ? { ...e, selected: false } : e)), ...edges] }), pasteCount });
    return pasted.map((n) => n.id);
  },

  undo() {
    const s = get();
    const prev = s.past.at(-1);
    if (!prev) return;
    set({ ...restore(s, prev), past: s.past.slice(0, -1), future: [snapshot(s), ...s.future] });
  },

  redo() {
    const s = get();
    const next = s.future[0];
    if (!next) return;
    set({ ...restore(s, next), past: [...s.past, snapshot(s)], future: s.future.slice(1) });
  },

  autoLayout() {
    const s = get();
    set(commit(s, { nodes: arrange(s.nodes, s.edges, { mode: "all" }) }));
  },

  toggleSnap() {
    set((s) => ({ snapToGrid: !s.snapToGrid }));
  },

  markSaved(version, stateId) {
    set((s) => {
      const saved = stateId ?? s.stateId;
      return { baseVersion: version, savedStateId: saved, dirty: s.stateId !== saved };
    });
  },

  replaceDefinition(definition) {
    const s = get();
    const { nodes, edges } = definitionToFlow(definition, s.specs);
    const { nodes: _n, edges: _e, ...meta } = definition;
    set(commit(s, { nodes, edges, meta }));
  },

  reset() {
    set({
      workflowId: null,
      baseVersion: 0,
      meta: emptyMeta,
      nodes: [],
      edges: [],
      past: [],
      future: [],
      dirty: false,
      problems: NO_PROBLEMS,
      dragStart: null,
      lastCommit: null,
    });
  },

  setProblems(validated, problems) {
    set({ problems: indexProblems(validated, problems) });
  },
}));

/** The body origin inside a loop group, where dropped nodes start when dropped on the header. */
export const BODY_ORIGIN = { x: LOOP_PADDING, y: LOOP_HEADER + LOOP_PADDING };
