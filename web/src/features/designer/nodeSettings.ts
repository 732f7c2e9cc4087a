// The per-node settings every node type shares (error handling, timeout, retry), described
// as a JSON Schema so the same generated form edits them and validator pointers such as
// `/nodes/3/retry/max_attempts` land on the right field. Defaults mirror weft-core.
import type { JsonSchema } from "@/api/types";

export const nodeSettingsSchema: JsonSchema = {
  type: "object",
  properties: {
    on_error: {
      type: "string",
      title: "On error",
      description:
        "After the last attempt fails: `fail` fails the execution; `continue` outputs {error} on `main`; `route` outputs it on a separate `error` port.",
      enum: ["fail", "continue", "route"],
      default: "fail",
    },
    timeout_ms: {
      type: "integer",
      title: "Timeout (ms)",
      description: "Time limit for one attempt; the engine's default when empty.",
      minimum: 1,
    },
    retry: {
      type: "object",
      title: "Retry",
      description: "Attempts after a failure, with exponential backoff.",
      properties: {
        max_attempts: { type: "integer", title: "Max attempts", description: "Attempts in all, the first included; 1 means no retry.", minimum: 1, default: 1 },
        initial_interval_ms: { type: "integer", title: "Initial interval (ms)", minimum: 0, default: 1000 },
        multiplier: { type: "number", title: "Multiplier", minimum: 1, default: 2 },
        max_interval_ms: { type: "integer", title: "Max interval (ms)", minimum: 0, default: 60000 },
        jitter: { type: "string", title: "Jitter", description: "`full` spreads retries randomly up to the interval.", enum: ["none", "full"], default: "full" },
      },
    },
  },
};
