// The execution shapes this feature reads, narrowed from the generated schema where the
// OpenAPI document leaves them as free objects (input, output, error, parent), and the
// event envelope the stream, the events endpoint and the multiplexed socket share.
import type { Execution, ExecutionStatus } from "@/api/types";

/** An error as executions and node attempts carry it (`weft_core::NodeError` / `ExecutionError`). */
export interface RunError {
  kind: string;
  message: string;
  /** The node path at fault, for an execution's error. */
  node?: string;
  details?: unknown;
}

export type ExecutionRecord = Omit<Execution, "status" | "input" | "output" | "error" | "parent"> & {
  status: ExecutionStatus;
  input: unknown;
  output?: unknown;
  error?: RunError | null;
  parent?: { execution_id: string; node: string } | null;
};

/** One event: `{seq, type, node_id, at, data}`, `data` being the event without its `type`. */
export interface StreamEvent {
  seq: number;
  type: string;
  node_id?: string | null;
  at: number;
  data: Record<string, unknown>;
}

export const EXECUTION_STATUSES: readonly ExecutionStatus[] = [
  "queued",
  "running",
  "waiting",
  "succeeded",
  "failed",
  "cancelled",
  "timed_out",
];

/** Whether a parsed message looks like an event envelope (the stream is not trusted blindly). */
export function isStreamEvent(v: unknown): v is StreamEvent {
  if (!v || typeof v !== "object") return false;
  const e = v as Record<string, unknown>;
  return typeof e.seq === "number" && typeof e.type === "string" && typeof e.at === "number";
}
