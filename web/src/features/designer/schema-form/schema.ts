// Which widget edits a JSON Schema property, and how widget text becomes a value. Node specs
// are a small draft 2020-12 subset (see the catalog); anything richer falls back to the
// expression editor, which accepts any JSON value or a {{ }} template.
import type { JsonSchema } from "@/api/types";

export type FieldKind =
  | "text"
  | "template-text"
  | "number"
  | "boolean"
  | "enum"
  | "key-value"
  | "object-list"
  | "string-list"
  | "fieldset"
  | "expression"
  | "credential";

/** The catalog's mark on a field that names a stored credential (by id or name). */
export const CREDENTIAL_WIDGET = "credential";

function types(schema: JsonSchema): string[] {
  if (Array.isArray(schema.type)) return schema.type;
  return schema.type ? [schema.type] : [];
}

/** Whether the field's help says it takes {{ }} templates or jq. */
export function takesExpressions(schema: JsonSchema): boolean {
  const text = `${schema.title ?? ""} ${schema.description ?? ""}`;
  return /\{\{|\bjq\b/.test(text);
}

export function fieldKind(schema: JsonSchema): FieldKind {
  if (Array.isArray(schema.enum) && schema.enum.length) return "enum";
  const t = types(schema);
  if (schema["x-weft-widget"] === CREDENTIAL_WIDGET && t.length === 1 && t[0] === "string") return "credential";
  if (t.length !== 1) return "expression";
  switch (t[0]) {
    case "string":
      return takesExpressions(schema) ? "template-text" : "text";
    case "integer":
    case "number":
      return "number";
    case "boolean":
      return "boolean";
    case "object":
      if (schema.properties && Object.keys(schema.properties).length) return "fieldset";
      return "key-value";
    case "array": {
      const items = schema.items;
      if (items?.type === "object" && items.properties) return "object-list";
      if (items?.type === "string" && !takesExpressions(schema)) return "string-list";
      // "An array, or a {{ }} template giving one": free-form.
      return "expression";
    }
    default:
      return "expression";
  }
}

/** How values of a key-value object are typed. */
export type ValueKind = "string" | "scalar" | "any";

export function valueKind(schema: JsonSchema): ValueKind {
  const ap = schema.additionalProperties;
  if (!ap || ap === true) return "any";
  const t = types(ap);
  if (t.length === 1 && t[0] === "string") return "string";
  if (t.length && t.every((x) => x === "string" || x === "number" || x === "boolean")) return "scalar";
  return "any";
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const isTemplate = (t: string) => t.includes("{{");

/** Text that would read back as something other than the string itself. */
function ambiguous(s: string): boolean {
  if (/^\s*(\[|\{(?!\{)|")/.test(s)) return true;
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}

/** Shows any JSON value for editing: plain strings as they are, everything else as JSON. */
export function formatAny(v: unknown): string {
  if (v === undefined) return "";
  if (typeof v === "string") return ambiguous(v) ? JSON.stringify(v) : v;
  return JSON.stringify(v, null, 2);
}

/**
 * Reads what was typed into a free-form field: JSON when it is JSON; text starting like JSON
 * (`{`, `[`, `"`) that does not parse is an error; anything else (words, {{ }} templates)
 * is a string. Empty means "not set".
 */
export function parseAny(text: string): Parsed<unknown> {
  if (!text.trim()) return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    if (/^\s*(\[|\{(?!\{)|")/.test(text)) {
      return { ok: false, error: `Not valid JSON: ${(e as Error).message}. Put text in quotes or use a {{ }} template.` };
    }
    return { ok: true, value: text };
  }
}

/** A query-parameter style value: numbers and booleans as such, the rest as text. */
export function parseScalar(text: string): Parsed<unknown> {
  if (text === "true") return { ok: true, value: true };
  if (text === "false") return { ok: true, value: false };
  if (/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(text)) return { ok: true, value: Number(text) };
  return { ok: true, value: text };
}

export function formatScalar(v: unknown): string {
  return v === undefined || v === null ? "" : typeof v === "string" ? v : String(v);
}

export function parseNumber(text: string, schema: JsonSchema): Parsed<number | string | undefined> {
  const t = text.trim();
  if (!t) return { ok: true, value: undefined };
  if (isTemplate(t) && takesExpressions(schema)) return { ok: true, value: t };
  const n = Number(t);
  if (!Number.isFinite(n) || !/^-?[\d.eE+-]+$/.test(t)) {
    return { ok: false, error: takesExpressions(schema) ? "Enter a number or a {{ }} template." : "Enter a number." };
  }
  if (types(schema).includes("integer") && !Number.isInteger(n)) return { ok: false, error: "Enter a whole number." };
  if (schema.minimum !== undefined && n < schema.minimum) return { ok: false, error: `Must be at least ${schema.minimum}.` };
  if (schema.maximum !== undefined && n > schema.maximum) return { ok: false, error: `Must be at most ${schema.maximum}.` };
  return { ok: true, value: n };
}

/** Placeholder text: the default, else the first example. */
export function placeholderOf(schema: JsonSchema): string | undefined {
  if (schema.default !== undefined && schema.default !== "" && !(typeof schema.default === "object" && schema.default && Object.keys(schema.default).length === 0))
    return `Default: ${typeof schema.default === "string" ? schema.default : JSON.stringify(schema.default)}`;
  const ex = schema.examples?.[0];
  if (ex !== undefined) return `e.g. ${typeof ex === "string" ? ex : JSON.stringify(ex)}`;
  return undefined;
}

export function sameValue(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}
