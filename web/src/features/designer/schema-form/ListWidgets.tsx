// Arrays: of objects (switch cases) as repeatable cards each holding a nested form, and of
// strings as a list of inputs. Rows can be added, removed and reordered from the keyboard.
import { ArrowDown, ArrowUp, Plus, Trash2 } from "lucide-react";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import type { JsonSchema } from "@/api/types";
import { SchemaForm } from "./SchemaForm";
import type { WidgetProps } from "./widgets";

function singularOf(label: string): string {
  return label.replace(/ies$/i, "y").replace(/s$/i, "") || "Item";
}

/** A new row: required fields from defaults, a `name` numbered so switch ports stay unique. */
function newItem(items: JsonSchema, index: number, existing: unknown[], singular: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const names = new Set(existing.map((x) => (x && typeof x === "object" ? (x as { name?: unknown }).name : undefined)));
  for (const key of items.required ?? []) {
    const p = items.properties?.[key];
    if (key === "name") {
      let n = index + 1;
      while (names.has(`${singular.toLowerCase()}_${n}`)) n++;
      out.name = `${singular.toLowerCase()}_${n}`;
    } else if (p?.default !== undefined) out[key] = p.default;
    else out[key] = "";
  }
  return out;
}

function RowButtons({ index, count, what, onMove, onRemove }: { index: number; count: number; what: string; onMove: (to: number) => void; onRemove: () => void }) {
  return (
    <div className="flex shrink-0 gap-0.5">
      <Button variant="ghost" size="icon" aria-label={`Move ${what} up`} disabled={index === 0} onClick={() => onMove(index - 1)}>
        <ArrowUp aria-hidden />
      </Button>
      <Button variant="ghost" size="icon" aria-label={`Move ${what} down`} disabled={index === count - 1} onClick={() => onMove(index + 1)}>
        <ArrowDown aria-hidden />
      </Button>
      <Button variant="ghost" size="icon" aria-label={`Remove ${what}`} onClick={onRemove}>
        <Trash2 aria-hidden />
      </Button>
    </div>
  );
}

function moved<T>(list: T[], from: number, to: number): T[] {
  const next = [...list];
  const [x] = next.splice(from, 1);
  next.splice(to, 0, x);
  return next;
}

export function ObjectListWidget({ schema, value, onChange, label, path }: WidgetProps & { path: string }) {
  const list = Array.isArray(value) ? (value as unknown[]) : [];
  const items = schema.items ?? {};
  const singular = singularOf(label);
  const set = (next: unknown[]) => onChange(next);
  return (
    <div className="space-y-2">
      {list.map((item, i) => {
        const what = `${singular.toLowerCase()} ${i + 1}`;
        const name = item && typeof item === "object" ? (item as { name?: unknown }).name : undefined;
        return (
          <section key={i} className="rounded-md border border-slate-200 bg-slate-50 p-2.5" aria-label={`${singular} ${i + 1}`}>
            <div className="mb-2 flex items-center justify-between gap-2">
              <h4 className="truncate text-xs font-semibold text-slate-700">
                {singular} {i + 1}
                {typeof name === "string" && name ? <span className="font-mono font-normal"> · {name}</span> : null}
              </h4>
              <RowButtons
                index={i}
                count={list.length}
                what={what}
                onMove={(to) => set(moved(list, i, to))}
                onRemove={() => set(list.filter((_, j) => j !== i))}
              />
            </div>
            <SchemaForm
              schema={items}
              value={item && typeof item === "object" ? (item as Record<string, unknown>) : {}}
              path={`${path}/${i}`}
              onChange={(next) => set(list.map((x, j) => (j === i ? next : x)))}
            />
          </section>
        );
      })}
      <Button variant="secondary" size="sm" onClick={() => set([...list, newItem(items, list.length, list, singular)])}>
        <Plus aria-hidden /> Add {singular.toLowerCase()}
      </Button>
    </div>
  );
}

export function StringListWidget({ id, value, onChange, label }: WidgetProps) {
  const list = Array.isArray(value) ? (value as unknown[]).map((x) => (typeof x === "string" ? x : JSON.stringify(x))) : [];
  const singular = singularOf(label).toLowerCase();
  return (
    <div className="space-y-1.5">
      {list.map((s, i) => (
        <div key={i} className="flex items-center gap-1.5">
          <Input
            id={i === 0 ? id : undefined}
            aria-label={`${label} ${i + 1}`}
            value={s}
            onChange={(e) => onChange(list.map((x, j) => (j === i ? e.target.value : x)))}
            className="h-8"
          />
          <RowButtons
            index={i}
            count={list.length}
            what={`${singular} ${i + 1}`}
            onMove={(to) => onChange(moved(list, i, to))}
            onRemove={() => onChange(list.filter((_, j) => j !== i))}
          />
        </div>
      ))}
      <Button variant="secondary" size="sm" onClick={() => onChange([...list, ""])}>
        <Plus aria-hidden /> Add {singular}
      </Button>
    </div>
  );
}
