// The execution view's model of a run, rebuilt from its events by a pure reducer: the
// execution's status, each node path's state and history (attempts, waits, loop iterations,
// child executions), and the ordered event list for the timeline. Pure so the same events
// always give the same picture, whether they were replayed from the store or arrived live,
// and so it can be tested without a socket.
//
// Events are applied strictly in seq order, each once: a duplicate (a reconnect replaying
// from an earlier seq) is dropped, and an event past a gap waits in `pending` until the
// missing ones arrive (the stream hook fetches them when it sees `pending` is not empty).
import type { ExecutionStatus } from "@/api/types";
import type { NodeRunStatus } from "@/features/canvas";
import type { RunError, StreamEvent } from "./types";

export interface Attempt {
  attempt: number;
  startedAt: number;
  endedAt?: number;
  outcome: "running" | "succeeded" | "failed";
  error?: RunError;
}

export type Wait =
  | { kind: "timer"; dueAt: number }
  | { kind: "signal"; name: string; timeoutAt?: number; receivedAt?: number };

export interface Iteration {
  index: number;
  startedAt: number;
  completedAt?: number;
  output?: unknown;
}

export interface NodeDetail {
  /** Where the node ran, e.g. `each[2]/sq` for a loop body node in iteration 2. */
  path: string;
  /** The node's id in the definition (the path's last segment): what the canvas shows. */
  id: string;
  /** Loop iteration indices from the outermost loop in, `[]` outside loops. */
  iteration: number[];
  status: NodeRunStatus;
  attempts: Attempt[];
  /** Attempts from before an execution retry reset the node. */
  earlierAttempts: Attempt[];
  output?: unknown;
  hasOutput: boolean;
  /** Ports the node activated when it completed. */
  ports?: string[];
  /** What the node is waiting for, while it is. */
  wait?: Wait;
  /** The child execution a `flow.call` started (the latest, one per attempt). */
  child?: { id: string; workflowId?: string; version?: number; input?: unknown };
  /** For loop nodes: the loop's input (its `prev`), items for `for_each`, and iterations. */
  loop?: { input: unknown; items?: unknown[]; iterations: Record<number, Iteration> };
  /** Why the node stopped when the execution ended under it (cancelled, timed out). */
  interrupted?: RunError;
  /** Seq of the last event about this node. */
  lastSeq: number;
}

export interface AwaitedSignal {
  name: string;
  node: string;
  timeoutAt?: number;
}

export interface RunState {
  /** Seq of the last event applied; every event up to it has been applied exactly once. */
  lastSeq: number;
  /** Events that arrived ahead of a gap, sorted by seq, waiting for the gap to fill. */
  pending: StreamEvent[];
  /** Undefined until the first event (the REST record says what it is meanwhile). */
  status?: ExecutionStatus;
  workflowId?: string;
  version?: number;
  input?: unknown;
  output?: unknown;
  error?: RunError;
  trigger?: string;
  startedAt?: number;
  finishedAt?: number;
  cancelReason?: string;
  /** Node details by path. */
  nodes: Record<string, NodeDetail>;
  /** Signals some node waits for and that have not arrived yet. */
  awaiting: AwaitedSignal[];
  /** Every applied event, in seq order: the timeline. */
  events: StreamEvent[];
}

export const initialRunState: RunState = { lastSeq: 0, pending: [], nodes: {}, awaiting: [], events: [] };

const TERMINAL: ReadonlySet<string> = new Set(["succeeded", "failed", "cancelled", "timed_out"]);

export function isTerminal(status: string | undefined): boolean {
  return !!status && TERMINAL.has(status);
}

/** `each[2]/inner[0]/sq` → id `sq`, iteration `[2, 0]`. */
export function parsePath(path: string): { id: string; iteration: number[]; scope: string[] } {
  const segments = path.split("/");
  const id = segments[segments.length - 1];
  const scope = segments.slice(0, -1);
  const iteration = scope.map((s) => Number(/\[(\d+)\]$/.exec(s)?.[1] ?? 0));
  return { id, iteration, scope };
}

/**
 * Applies events in seq order, each once. Events at or below `lastSeq` are duplicates and
 * dropped; events beyond the next expected seq wait in `pending`. Returns the same object
 * when nothing changed, so React can skip a render.
 */
export function applyEvents(state: RunState, incoming: readonly StreamEvent[]): RunState {
  const fresh = incoming.filter((e) => e.seq > state.lastSeq);
  if (!fresh.length) return state;
  const bySeq = new Map<number, StreamEvent>();
  for (const e of state.pending) bySeq.set(e.seq, e);
  // A seq seen twice keeps its first copy: events are immutable once written.
  for (const e of fresh) if (!bySeq.has(e.seq)) bySeq.set(e.seq, e);
  const queue = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  let next: RunState = state;
  let i = 0;
  while (i < queue.length && queue[i].seq === next.lastSeq + 1) {
    next = applyOne(next, queue[i]);
    i++;
  }
  const pending = queue.slice(i);
  if (next === state && pending.length === state.pending.length) return state;
  return { ...next, pending };
}

/** Whether events are missing between `lastSeq` and what arrived after it. */
export function hasGap(state: RunState): boolean {
  return state.pending.length > 0;
}

function node(state: RunState, path: string): NodeDetail {
  const existing = state.nodes[path];
  if (existing) return existing;
  const { id, iteration } = parsePath(path);
  return { path, id, iteration, status: "queued", attempts: [], earlierAttempts: [], hasOutput: false, lastSeq: 0 };
}

function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

function runError(v: unknown): RunError | undefined {
  if (!v || typeof v !== "object") return undefined;
  const o = v as Record<string, unknown>;
  return {
    kind: str(o.kind) ?? "unknown",
    message: str(o.message) ?? JSON.stringify(v),
    node: str(o.node),
    details: o.details,
  };
}

/** The status an unfinished execution shows: running while any node runs, else waiting if one waits. */
function liveStatus(nodes: Record<string, NodeDetail>): ExecutionStatus {
  let waiting = false;
  for (const n of Object.values(nodes)) {
    // Loops and calls run while their body or child does; that is not this node working.
    if (n.status === "running" && !n.loop && !n.child) return "running";
    if (n.status === "waiting") waiting = true;
  }
  return waiting ? "waiting" : "running";
}

function applyOne(prev: RunState, e: StreamEvent): RunState {
  const s: RunState = { ...prev, lastSeq: e.seq, events: [...prev.events, e] };
  const d = e.data ?? {};
  const path = str(d.node) ?? e.node_id ?? undefined;
  const put = (detail: NodeDetail) => {
    s.nodes = { ...s.nodes, [detail.path]: { ...detail, lastSeq: e.seq } };
  };

  switch (e.type) {
    case "execution_started":
      s.status = "running";
      s.workflowId = str(d.workflow_id);
      s.version = num(d.version);
      s.input = d.input;
      s.trigger = str(d.trigger);
      s.startedAt = e.at;
      break;
    case "node_scheduled": {
      if (!path) break;
      const n = node(s, path);
      const attempt = num(d.attempt) ?? n.attempts.length + 1;
      put({
        ...n,
        status: "running",
        wait: undefined,
        attempts: [...n.attempts.filter((a) => a.attempt !== attempt), { attempt, startedAt: e.at, outcome: "running" }],
      });
      break;
    }
    case "node_completed": {
      if (!path) break;
      const n = node(s, path);
      put({
        ...n,
        status: "succeeded",
        wait: n.wait?.kind === "signal" ? n.wait : undefined,
        output: d.output,
        hasOutput: true,
        ports: Array.isArray(d.ports) ? d.ports.filter((p): p is string => typeof p === "string") : undefined,
        attempts: n.attempts.map((a, i) =>
          i === n.attempts.length - 1 && a.outcome === "running" ? { ...a, outcome: "succeeded", endedAt: e.at } : a,
        ),
      });
      break;
    }
    case "node_attempt_failed": {
      if (!path) break;
      const n = node(s, path);
      const attempt = num(d.attempt) ?? Math.max(1, n.attempts.length);
      const error = runError(d.error) ?? { kind: "unknown", message: "failed" };
      const known = n.attempts.some((a) => a.attempt === attempt);
      const attempts = known
        ? n.attempts.map((a) => (a.attempt === attempt ? { ...a, outcome: "failed" as const, endedAt: e.at, error } : a))
        : [...n.attempts, { attempt, startedAt: e.at, endedAt: e.at, outcome: "failed" as const, error }];
      // Failed until a retry is scheduled (then node_scheduled makes it running again).
      put({ ...n, status: "failed", wait: undefined, attempts });
      break;
    }
    case "node_skipped": {
      if (!path) break;
      put({ ...node(s, path), status: "skipped", wait: undefined });
      break;
    }
    case "timer_started": {
      if (!path) break;
      put({ ...node(s, path), status: "waiting", wait: { kind: "timer", dueAt: num(d.due_at) ?? e.at } });
      break;
    }
    case "signal_awaited": {
      if (!path) break;
      const name = str(d.name) ?? "";
      const timeoutAt = num(d.timeout_at);
      put({ ...node(s, path), status: "waiting", wait: { kind: "signal", name, timeoutAt } });
      s.awaiting = [...s.awaiting.filter((a) => a.node !== path), { name, node: path, timeoutAt }];
      break;
    }
    case "signal_received": {
      const name = str(d.name);
      const waiter = s.awaiting.find((a) => a.name === name);
      if (waiter) {
        s.awaiting = s.awaiting.filter((a) => a !== waiter);
        const n = s.nodes[waiter.node];
        if (n?.wait?.kind === "signal") put({ ...n, wait: { ...n.wait, receivedAt: e.at } });
      }
      break;
    }
    case "child_started": {
      if (!path) break;
      const childId = str(d.child_id);
      if (!childId) break;
      put({
        ...node(s, path),
        child: { id: childId, workflowId: str(d.workflow_id), version: num(d.version), input: d.input },
      });
      break;
    }
    case "loop_started": {
      if (!path) break;
      const items = Array.isArray(d.items) ? d.items : undefined;
      // Loops are not scheduled like tasks: starting is what makes them run.
      put({ ...node(s, path), status: "running", loop: { input: d.input, items, iterations: {} } });
      break;
    }
    case "iteration_started":
    case "iteration_completed": {
      if (!path) break;
      const index = num(d.index);
      if (index === undefined) break;
      const n = node(s, path);
      const loop = n.loop ?? { input: undefined, iterations: {} };
      const it = loop.iterations[index] ?? { index, startedAt: e.at };
      const updated: Iteration =
        e.type === "iteration_started" ? { index, startedAt: e.at } : { ...it, completedAt: e.at, output: d.output };
      put({ ...n, loop: { ...loop, iterations: { ...loop.iterations, [index]: updated } } });
      break;
    }
    case "cancel_requested":
      s.cancelReason = str(d.reason) ?? "cancel requested";
      break;
    case "execution_retried": {
      const reset = Array.isArray(d.nodes) ? d.nodes.filter((p): p is string => typeof p === "string") : [];
      const nodes = { ...s.nodes };
      for (const p of reset) {
        // A reset loop runs its body again from the start: its iterations' details go too.
        for (const key of Object.keys(nodes)) if (key.startsWith(`${p}[`)) delete nodes[key];
        const n = nodes[p] ?? node(s, p);
        nodes[p] = {
          ...n,
          status: "queued",
          earlierAttempts: [...n.earlierAttempts, ...n.attempts],
          attempts: [],
          output: undefined,
          hasOutput: false,
          ports: undefined,
          wait: undefined,
          loop: undefined,
          interrupted: undefined,
          lastSeq: e.seq,
        };
      }
      s.nodes = nodes;
      s.status = "running";
      s.finishedAt = undefined;
      s.output = undefined;
      s.error = undefined;
      s.cancelReason = undefined;
      break;
    }
    case "execution_finished": {
      s.status = (str(d.status) as ExecutionStatus | undefined) ?? "failed";
      s.output = d.output;
      s.error = runError(d.error);
      s.finishedAt = e.at;
      s.awaiting = [];
      // Nothing runs or waits once the execution has ended: a step cut off by a cancel or a
      // timeout failed, and says why.
      const cutOff: RunError = { kind: s.status, message: s.cancelReason ?? `execution ${s.status.replace("_", " ")}` };
      const nodes = { ...s.nodes };
      for (const [k, n] of Object.entries(nodes)) {
        if (n.status === "running" || n.status === "waiting") {
          nodes[k] = {
            ...n,
            status: "failed",
            wait: undefined,
            interrupted: cutOff,
            attempts: n.attempts.map((a) =>
              a.outcome === "running" ? { ...a, outcome: "failed", endedAt: e.at, error: cutOff } : a,
            ),
          };
        }
      }
      s.nodes = nodes;
      return s;
    }
    default:
      // `log` and event types this build does not know change nothing but the timeline.
      return s;
  }
  if (!isTerminal(s.status)) s.status = liveStatus(s.nodes);
  return s;
}
