// The node palette: every type from the catalog, grouped by category and searchable. An
// entry is dragged onto the canvas (or onto a loop, into its body), or activated with
// Enter/click to add it at the centre of the view.
import { useMemo, useState, type DragEvent } from "react";
import { Search } from "lucide-react";
import type { NodeSpec } from "@/api/types";
import { Input } from "@/components/ui/input";
import { accentFor, NodeTypeIcon } from "@/features/canvas";
import { cn } from "@/lib/cn";
import { NODE_MIME, useAddNode } from "./useAddNode";

const CATEGORY_ORDER = ["trigger", "flow", "data", "http", "util"];
const CATEGORY_LABEL: Record<string, string> = {
  trigger: "Triggers",
  flow: "Flow control",
  data: "Data",
  http: "HTTP",
  util: "Utilities",
};

function titleOf(spec: NodeSpec): string {
  return spec.schema.title ?? spec.type;
}

export function groupSpecs(specs: readonly NodeSpec[], query: string): [string, NodeSpec[]][] {
  const q = query.trim().toLowerCase();
  const hit = (s: NodeSpec) =>
    !q || [s.type, titleOf(s), s.description, s.category].some((t) => t.toLowerCase().includes(q));
  const groups = new Map<string, NodeSpec[]>();
  for (const s of specs) {
    if (!hit(s)) continue;
    const list = groups.get(s.category);
    if (list) list.push(s);
    else groups.set(s.category, [s]);
  }
  const rank = (c: string) => (CATEGORY_ORDER.includes(c) ? CATEGORY_ORDER.indexOf(c) : CATEGORY_ORDER.length);
  return [...groups.entries()].sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
}

export function Palette({ specs, onAdded }: { specs: readonly NodeSpec[]; onAdded?: (id: string) => void }) {
  const [query, setQuery] = useState("");
  const groups = useMemo(() => groupSpecs(specs, query), [specs, query]);
  const addNode = useAddNode();

  const onDragStart = (e: DragEvent, type: string) => {
    e.dataTransfer.setData(NODE_MIME, type);
    e.dataTransfer.setData("text/plain", type);
    e.dataTransfer.effectAllowed = "copy";
  };

  return (
    <nav aria-label="Node palette" className="flex h-full min-h-0 flex-col">
      <div className="relative p-3 pb-2">
        <Search className="pointer-events-none absolute left-5 top-1/2 size-4 -translate-y-1/3 text-slate-500" aria-hidden />
        <Input
          type="search"
          aria-label="Search nodes"
          placeholder="Search nodes"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          className="pl-8"
        />
      </div>
      <div className="min-h-0 flex-1 overflow-y-auto px-3 pb-3">
        {groups.length === 0 && <p className="px-1 py-4 text-sm text-slate-600">No node type matches “{query}”.</p>}
        {groups.map(([category, list]) => (
          <section key={category} aria-labelledby={`palette-cat-${category}`} className="mt-2">
            <h3 id={`palette-cat-${category}`} className="px-1 pb-1 text-xs font-semibold uppercase tracking-wide text-slate-600">
              {CATEGORY_LABEL[category] ?? category}
            </h3>
            <ul className="space-y-1">
              {list.map((s) => (
                <li key={s.type}>
                  <button
                    type="button"
                    draggable
                    data-testid={`palette-${s.type}`}
                    onDragStart={(e) => onDragStart(e, s.type)}
                    onClick={() => {
                      const id = addNode(s.type);
                      onAdded?.(id);
                    }}
                    title={s.description}
                    className="flex w-full cursor-grab items-center gap-2 rounded-md border border-slate-200 bg-white px-2 py-1.5 text-left hover:border-indigo-300 hover:bg-indigo-50 focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 active:cursor-grabbing"
                  >
                    <span className={cn("grid size-7 shrink-0 place-items-center rounded", accentFor(s.category))}>
                      <NodeTypeIcon type={s.type} category={s.category} className="size-4" />
                    </span>
                    <span className="min-w-0">
                      <span className="block truncate text-sm font-medium text-slate-900">{titleOf(s)}</span>
                      <span className="block truncate font-mono text-[11px] text-slate-600">{s.type}</span>
                    </span>
                  </button>
                </li>
              ))}
            </ul>
          </section>
        ))}
      </div>
    </nav>
  );
}
