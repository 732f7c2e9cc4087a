// A real run of a small workflow (captured from `weft serve` and trimmed), for tests: a
// trigger, a `for_each` over three items whose body squares and logs each, an `if` that
// takes its `true` port to a signal wait (the `false` branch is skipped), then an HTTP call
// that fails, a retry from it, and the same failure again.
import type { Definition } from "@/api/types";
import type { ExecutionRecord, StreamEvent } from "./types";

export const WORKFLOW_ID = "01a2215a-5484-7373-b04a-61158ebb324a";
export const EXECUTION_ID = "01a2215a-550e-74dd-8f43-d5d2655ad5fc";
export const T0 = Date.UTC(2026, 10, 28, 8, 51, 37);

export const demoDefinition: Definition = {
  name: "demo-loop",
  nodes: [
    { id: "start", type: "trigger.manual" },
    {
      id: "each",
      type: "flow.for_each",
      config: {
        items: "{{ .input.items }}",
        body: {
          nodes: [
            { id: "sq", type: "data.transform", config: { filter: ".item * .item" } },
            { id: "lg", type: "util.log", config: { message: "sq {{ .prev }}" } },
          ],
          edges: [{ from: "sq", to: "lg" }],
        },
      },
    },
    { id: "big", type: "flow.if", config: { condition: "{{ (.prev | length) > 2 }}" } },
    { id: "approve", type: "flow.signal", config: { name: "approval", timeout_ms: 600000 } },
    { id: "small", type: "data.set", config: { fields: { small: true } } },
    { id: "boom", type: "http.request", config: { method: "GET", url: "http://127.0.0.1:1/x" }, retry: { max_attempts: 2 } },
  ],
  edges: [
    { from: "start", to: "each" },
    { from: "each", to: "big" },
    { from: "big", port: "true", to: "approve" },
    { from: "big", port: "false", to: "small" },
    { from: "approve", to: "boom" },
  ],
};

export const DEMO_NODE_IDS = ["start", "each", "sq", "lg", "big", "approve", "small", "boom"];

const RAW: [number, string, string | null, Record<string, unknown>][] = [
  [1, "execution_started", null, {"workflow_id": "01a2215a-5484-7373-b04a-61158ebb324a", "version": 1, "input": {"items": [1, 2, 3]}}],
  [2, "node_scheduled", "start", {"attempt": 1, "node": "start"}],
  [3, "node_completed", "start", {"ports": ["main"], "node": "start", "output": {"items": [1, 2, 3]}}],
  [4, "loop_started", "each", {"items": [1, 2, 3], "node": "each", "input": {"items": [1, 2, 3]}}],
  [5, "iteration_started", "each", {"index": 0, "node": "each"}],
  [6, "node_scheduled", "each[0]/sq", {"attempt": 1, "node": "each[0]/sq"}],
  [7, "node_completed", "each[0]/sq", {"ports": ["main"], "node": "each[0]/sq", "output": 1}],
  [8, "node_scheduled", "each[0]/lg", {"attempt": 1, "node": "each[0]/lg"}],
  [9, "log", "each[0]/lg", {"message": "sq 1", "node": "each[0]/lg", "level": "info"}],
  [10, "node_completed", "each[0]/lg", {"ports": ["main"], "node": "each[0]/lg", "output": 1}],
  [11, "iteration_completed", "each", {"output": 1, "node": "each", "index": 0}],
  [12, "iteration_started", "each", {"index": 1, "node": "each"}],
  [13, "node_scheduled", "each[1]/sq", {"attempt": 1, "node": "each[1]/sq"}],
  [14, "node_completed", "each[1]/sq", {"ports": ["main"], "node": "each[1]/sq", "output": 4}],
  [15, "node_scheduled", "each[1]/lg", {"attempt": 1, "node": "each[1]/lg"}],
  [16, "log", "each[1]/lg", {"message": "sq 4", "node": "each[1]/lg", "level": "info"}],
  [17, "node_completed", "each[1]/lg", {"ports": ["main"], "node": "each[1]/lg", "output": 4}],
  [18, "iteration_completed", "each", {"output": 4, "node": "each", "index": 1}],
  [19, "iteration_started", "each", {"index": 2, "node": "each"}],
  [20, "node_scheduled", "each[2]/sq", {"attempt": 1, "node": "each[2]/sq"}],
  [21, "node_completed", "each[2]/sq", {"ports": ["main"], "node": "each[2]/sq", "output": 9}],
  [22, "node_scheduled", "each[2]/lg", {"attempt": 1, "node": "each[2]/lg"}],
  [23, "log", "each[2]/lg", {"message": "sq 9", "node": "each[2]/lg", "level": "info"}],
  [24, "node_completed", "each[2]/lg", {"ports": ["main"], "node": "each[2]/lg", "output": 9}],
  [25, "iteration_completed", "each", {"output": 9, "node": "each", "index": 2}],
  [26, "node_completed", "each", {"ports": ["main"], "node": "each", "output": [1, 4, 9]}],
  [27, "node_scheduled", "big", {"attempt": 1, "node": "big"}],
  [28, "node_completed", "big", {"ports": ["true"], "node": "big", "output": [1, 4, 9]}],
  [29, "signal_awaited", "approve", {"timeout_at": 1795856497872, "node": "approve", "name": "approval"}],
  [30, "node_skipped", "small", {"node": "small"}],
  [31, "signal_received", null, {"payload": {"ok": true}, "name": "approval"}],
  [32, "node_completed", "approve", {"ports": ["main"], "node": "approve", "output": {"ok": true}}],
  [33, "node_scheduled", "boom", {"attempt": 1, "node": "boom"}],
  [34, "node_attempt_failed", "boom", {"node": "boom", "attempt": 1, "error": {"kind": "permanent", "message": "connection refused"}}],
  [35, "execution_finished", null, {"error": {"kind": "permanent", "message": "connection refused", "node": "boom"}, "status": "failed"}],
  [36, "execution_retried", null, {"nodes": ["boom"]}],
  [37, "node_scheduled", "boom", {"attempt": 1, "node": "boom"}],
  [38, "node_attempt_failed", "boom", {"node": "boom", "attempt": 1, "error": {"kind": "permanent", "message": "connection refused"}}],
  [39, "execution_finished", null, {"error": {"kind": "permanent", "message": "connection refused", "node": "boom"}, "status": "failed"}],
];

/** The captured events, 25 ms apart from `T0`. Seq 29 is the signal wait, 35 the first failure. */
export const demoEvents: StreamEvent[] = RAW.map(([seq, type, node_id, data]) => ({ seq, type, node_id, at: T0 + seq * 25, data }));

/** The events up to and including `seq`. */
export function eventsUpTo(seq: number): StreamEvent[] {
  return demoEvents.filter((e) => e.seq <= seq);
}

export function demoExecution(over: Partial<ExecutionRecord> = {}): ExecutionRecord {
  return {
    id: EXECUTION_ID,
    workflow_id: WORKFLOW_ID,
    version: 1,
    status: "waiting",
    input: { items: [1, 2, 3] },
    output: null,
    error: null,
    priority: 5,
    parent: null,
    last_seq: 30,
    created_at: T0,
    updated_at: T0 + 30 * 25,
    finished_at: null,
    ...over,
  };
}

/** The pinned version as `GET /workflows/{id}/versions/{v}` answers. */
export const demoVersion = { id: WORKFLOW_ID, name: "demo-loop", version: 1, created_at: T0 - 60_000, definition: demoDefinition };
