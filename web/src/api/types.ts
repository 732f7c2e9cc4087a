// Shapes the OpenAPI document leaves as free objects: workflow definitions (one schema for
// the API, the CLI and the designer), node specs from the catalog, validation problems and
// execution events. Mirrors weft-core; keep the two in step.
import type { components } from "./schema";

export type Schemas = components["schemas"];
export type Role = Schemas["Role"];
export type WorkflowSummary = Schemas["WorkflowSummary"];
export type Workflow = Omit<Schemas["Workflow"], "definition"> & { definition: Definition };
export type Execution = Schemas["Execution"];
export type EventOut = Schemas["EventOut"];
export type LogLine = Schemas["LogLineOut"];
export type User = Schemas["User"];
export type UserChange = Schemas["UserChange"];
export type ApiKey = Schemas["ApiKey"];
export type CreatedApiKey = Schemas["CreatedApiKey"];
export type Credential = Schemas["Credential"];
export type AuditEntry = Schemas["AuditEntryOut"];
export type MfaSetup = Schemas["MfaSetup"];
export type Me = Schemas["Me"];

export interface Position {
  x: number;
  y: number;
}

export interface RetryPolicy {
  max_attempts?: number;
  initial_interval_ms?: number;
  multiplier?: number;
  max_interval_ms?: number;
  jitter?: "none" | "full";
}

export type OnError = "fail" | "continue" | "route";

export interface NodeDef {
  id: string;
  type: string;
  name?: string;
  config?: Record<string, unknown>;
  retry?: RetryPolicy;
  timeout_ms?: number;
  on_error?: OnError;
  position?: Position;
  notes?: string;
}

export interface EdgeDef {
  from: string;
  to: string;
  /** Output port of `from`; absent means `main`. */
  port?: string;
}

export interface Body {
  nodes: NodeDef[];
  edges?: EdgeDef[];
}

export interface Definition {
  name: string;
  description?: string;
  /** Labels the workflow list filters on. */
  tags?: string[];
  nodes: NodeDef[];
  edges?: EdgeDef[];
  settings?: Record<string, unknown>;
  vars?: Record<string, unknown>;
}

/** A JSON Schema as node specs carry them (draft 2020-12 subset the designer renders). */
export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  examples?: unknown[];
  format?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: boolean | JsonSchema;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  minItems?: number;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  [k: string]: unknown;
}

export type Ports = { kind: "fixed"; names: string[] } | { kind: "cases" };

export interface NodeSpec {
  type: string;
  category: string;
  description: string;
  trigger: boolean;
  ports: Ports;
  schema: JsonSchema;
}

export interface ValidationProblem {
  /** JSON pointer into the definition, e.g. `/nodes/1/config/url`. */
  pointer: string;
  message: string;
  hint?: string;
}

export type ExecutionStatus =
  | "queued"
  | "running"
  | "waiting"
  | "succeeded"
  | "failed"
  | "cancelled"
  | "timed_out";

/** Loop node types draw as groups holding their body. */
export const LOOP_TYPES = new Set(["flow.for_each", "flow.while"]);
