// Objects with free keys (headers, query parameters, data.set fields) as rows of key and
// value. Rows are local state, so a half-typed row or an invalid value does not clobber the
// saved object: only a complete, valid set of rows is applied; problems show on their row.
import { useState } from "react";
import { Plus, Trash2 } from "lucide-react";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { cn } from "@/lib/cn";
import { Messages } from "./Help";
import { formatAny, formatScalar, parseAny, parseScalar, sameValue, valueKind, type Parsed, type ValueKind } from "./schema";
import type { WidgetProps } from "./widgets";

interface Row {
  rid: number;
  key: string;
  text: string;
}

let ridSeq = 0;

const formatters: Record<ValueKind, (v: unknown) => string> = {
  string: (v) => (typeof v === "string" ? v : JSON.stringify(v)),
  scalar: formatScalar,
  // One line per value: objects and arrays in compact JSON.
  any: (v) => (typeof v === "string" || v === undefined ? formatAny(v) : JSON.stringify(v)),
};
const parsers: Record<ValueKind, (t: string) => Parsed<unknown>> = {
  string: (t) => ({ ok: true, value: t }),
  scalar: parseScalar,
  any: (t) => {
    const p = parseAny(t);
    // An empty value in a row means an empty string, not "absent".
    return p.ok && p.value === undefined ? { ok: true, value: "" } : p;
  },
};

function toRows(value: unknown, kind: ValueKind): Row[] {
  if (!value || typeof value !== "object" || Array.isArray(value)) return [];
  return Object.entries(value as Record<string, unknown>).map(([key, v]) => ({ rid: ++ridSeq, key, text: formatters[kind](v) }));
}

/** The object the rows stand for, or the problem of each row that stops it. */
function build(rows: Row[], kind: ValueKind): { value?: Record<string, unknown>; errors: Record<number, string> } {
  const errors: Record<number, string> = {};
  const out: Record<string, unknown> = {};
  const seen = new Set<string>();
  for (const r of rows) {
    if (!r.key && !r.text) continue;
    if (!r.key) {
      errors[r.rid] = "Enter a key.";
      continue;
    }
    if (seen.has(r.key)) {
      errors[r.rid] = `“${r.key}” is already set above.`;
      continue;
    }
    seen.add(r.key);
    const p = parsers[kind](r.text);
    if (!p.ok) errors[r.rid] = p.error;
    else out[r.key] = p.value;
  }
  return Object.keys(errors).length ? { errors } : { value: out, errors };
}

export function KeyValueWidget({ id, schema, value, onChange, describedBy, invalid, required, label }: WidgetProps) {
  const kind = valueKind(schema);
  const [rows, setRows] = useState<Row[]>(() => toRows(value, kind));
  const [seen, setSeen] = useState(value);
  if (!sameValue(seen, value)) {
    setSeen(value);
    if (!sameValue(build(rows, kind).value ?? null, value ?? {})) setRows(toRows(value, kind));
  }
  const { errors } = build(rows, kind);

  const update = (next: Row[]) => {
    setRows(next);
    const b = build(next, kind);
    if (!b.value) return;
    const empty = Object.keys(b.value).length === 0;
    const v = empty && !required ? undefined : b.value;
    if (!sameValue(v, value)) onChange(v);
  };
  const edit = (rid: number, patch: Partial<Row>) => update(rows.map((r) => (r.rid === rid ? { ...r, ...patch } : r)));
  const singular = label.replace(/s$/i, "").toLowerCase() || "entry";

  return (
    <div className="space-y-2" aria-describedby={describedBy}>
      {rows.length > 0 && (
        <ul className="space-y-2">
          {rows.map((r, i) => (
            <li key={r.rid}>
              <div className="flex items-start gap-1.5">
                <Input
                  aria-label={`${label}: key ${i + 1}`}
                  value={r.key}
                  onChange={(e) => edit(r.rid, { key: e.target.value })}
                  placeholder="key"
                  className="h-8 w-2/5 font-mono text-xs"
                  aria-invalid={!!errors[r.rid] || invalid || undefined}
                  spellCheck={false}
                />
                <Input
                  id={i === 0 ? id : undefined}
                  aria-label={`${label}: value of ${r.key || `row ${i + 1}`}`}
                  value={r.text}
                  onChange={(e) => edit(r.rid, { text: e.target.value })}
                  placeholder={kind === "any" ? 'value, "text", 42 or {{ … }}' : "value"}
                  className={cn("h-8 flex-1 font-mono text-xs")}
                  aria-invalid={!!errors[r.rid] || invalid || undefined}
                  aria-describedby={errors[r.rid] ? `${id}-row-${r.rid}` : undefined}
                  spellCheck={false}
                />
                <Button
                  variant="ghost"
                  size="icon"
                  aria-label={`Remove ${r.key || `row ${i + 1}`}`}
                  onClick={() => update(rows.filter((x) => x.rid !== r.rid))}
                >
                  <Trash2 aria-hidden />
                </Button>
              </div>
              <Messages id={`${id}-row-${r.rid}`} messages={errors[r.rid] ? [errors[r.rid]] : []} />
            </li>
          ))}
        </ul>
      )}
      <Button variant="secondary" size="sm" onClick={() => update([...rows, { rid: ++ridSeq, key: "", text: "" }])}>
        <Plus aria-hidden /> Add {singular}
      </Button>
    </div>
  );
}
