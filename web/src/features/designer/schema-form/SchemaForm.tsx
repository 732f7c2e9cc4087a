// A form generated from a node type's JSON Schema: one field per property, in schema order.
// Values are applied as they are typed; a property set back to nothing is removed, so the
// saved config holds only what the person chose (defaults stay the engine's).
import type { JsonSchema } from "@/api/types";
import { Field } from "./Field";

export interface SchemaFormProps {
  schema: JsonSchema;
  value: Record<string, unknown> | undefined;
  /** Called with the whole new object and the key that changed. */
  onChange: (next: Record<string, unknown>, key: string) => void;
  /** Path of this object inside the node, e.g. `config`. */
  path: string;
  /** Properties edited elsewhere (a loop's body is drawn on the canvas). */
  exclude?: readonly string[];
}

/** "Set one of: Duration (ms), Until" for schemas that require one of several fields. */
function oneOfNote(schema: JsonSchema): string | null {
  const alts = (schema.oneOf ?? schema.anyOf)?.map((o) => o.required ?? []).filter((r) => r.length);
  if (!alts?.length) return null;
  const title = (k: string) => schema.properties?.[k]?.title ?? k;
  return `Set ${schema.oneOf ? "exactly one" : "at least one"} of: ${alts.map((r) => r.map(title).join(" + ")).join(", ")}.`;
}

export function SchemaForm({ schema, value, onChange, path, exclude }: SchemaFormProps) {
  const entries = Object.entries(schema.properties ?? {}).filter(([k]) => !exclude?.includes(k));
  const required = new Set(schema.required ?? []);
  const note = oneOfNote(schema);
  if (!entries.length) return <p className="text-sm text-slate-600">This node has no parameters.</p>;
  return (
    <div className="space-y-4">
      {note && <p className="rounded-md bg-slate-100 px-2 py-1.5 text-xs text-slate-700">{note}</p>}
      {entries.map(([key, sub]) => (
        <Field
          key={key}
          name={key}
          schema={sub}
          value={value?.[key]}
          required={required.has(key)}
          path={path ? `${path}/${key}` : key}
          onChange={(v) => {
            const next = { ...(value ?? {}) };
            if (v === undefined) delete next[key];
            else next[key] = v;
            onChange(next, key);
          }}
        />
      ))}
    </div>
  );
}
