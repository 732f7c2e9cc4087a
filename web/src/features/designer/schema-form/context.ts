// What every field of a node's form needs from the designer without prop drilling: the
// server's messages for a field path, the node ids (for completion), the stored credentials
// (for credential fields) and the test action.
import { createContext, useContext } from "react";
import type { Credential } from "@/api/types";

export type TestOutcome =
  | { ok: true; result: unknown; results?: unknown[]; note?: string }
  | { ok: false; error: string; note?: string };

export interface SchemaFormContextValue {
  /** Makes DOM ids unique per node form. */
  idPrefix: string;
  /** Server messages for `path` (and, with `nested`, for anything inside it). */
  errors(path: string, nested: boolean): string[];
  nodeIds: readonly string[];
  /** The stored credentials, when the user may list them; credential fields suggest them. */
  credentials?: readonly Pick<Credential, "id" | "name" | "kind" | "version">[];
  /** Evaluates an expression against the last run's data; absent where testing is not possible. */
  testExpression?: (text: string, mode?: "template" | "filter") => Promise<TestOutcome>;
}

export const SchemaFormContext = createContext<SchemaFormContextValue>({
  idPrefix: "form",
  errors: () => [],
  nodeIds: [],
});

export function useSchemaFormContext() {
  return useContext(SchemaFormContext);
}

/** A DOM id for a field path. */
export function fieldId(prefix: string, path: string): string {
  return `${prefix}-${path}`.replace(/[^A-Za-z0-9_-]/g, "_");
}
