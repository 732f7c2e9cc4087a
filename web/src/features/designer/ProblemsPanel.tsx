// Every validation problem in one list under the canvas; choosing one selects the node at
// fault and brings it into view. Collapsed to a one-line summary when not needed.
import { useReactFlow } from "@xyflow/react";
import { ChevronDown, ChevronUp, CircleCheck, TriangleAlert } from "lucide-react";
import { useDesigner } from "./store";
import type { LocatedProblem } from "./pointers";

export function ProblemsPanel({ open, onOpenChange, state }: { open: boolean; onOpenChange: (open: boolean) => void; state: "idle" | "checking" | "failed" }) {
  const list = useDesigner((s) => s.problems.list);
  const rf = useReactFlow();
  const reveal = (p: LocatedProblem) => {
    // Read on click rather than subscribing: this panel must not re-render on every drag frame.
    if (!p.nodeId || !useDesigner.getState().nodes.some((n) => n.id === p.nodeId)) return;
    useDesigner.getState().select([p.nodeId]);
    void rf.fitView({ nodes: [{ id: p.nodeId }], duration: 300, maxZoom: 1.2 });
  };
  const count = list.length;
  const summary =
    state === "failed" ? "Could not check the workflow" : count === 0 ? (state === "checking" ? "Checking…" : "No problems") : `${count} problem${count === 1 ? "" : "s"}`;
  return (
    <section aria-label="Problems" className="border-t border-slate-200 bg-white">
      <button
        type="button"
        aria-expanded={open}
        aria-controls="problems-list"
        onClick={() => onOpenChange(!open)}
        className="flex w-full items-center gap-2 px-3 py-1.5 text-left text-sm focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-inset focus-visible:ring-indigo-500"
      >
        {count ? (
          <TriangleAlert className="size-4 text-red-700" aria-hidden />
        ) : (
          <CircleCheck className="size-4 text-emerald-700" aria-hidden />
        )}
        <span className={count ? "font-medium text-red-800" : "text-slate-700"} data-testid="problems-summary">
          {summary}
        </span>
        <span className="ml-auto text-slate-500">{open ? <ChevronDown className="size-4" aria-hidden /> : <ChevronUp className="size-4" aria-hidden />}</span>
      </button>
      {open && (
        <ul id="problems-list" className="max-h-44 overflow-y-auto border-t border-slate-100 py-1 text-sm">
          {count === 0 && <li className="px-3 py-1.5 text-slate-600">The validator found nothing wrong.</li>}
          {list.map((p, i) => (
            <li key={i}>
              <button
                type="button"
                onClick={() => reveal(p)}
                disabled={!p.nodeId}
                className="flex w-full items-baseline gap-2 px-3 py-1 text-left hover:bg-slate-50 focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-inset focus-visible:ring-indigo-500 disabled:cursor-default"
              >
                <span className="shrink-0 font-mono text-xs text-slate-600">{p.nodeId ?? p.pointer}</span>
                <span className="text-slate-900">
                  {p.message}
                  {p.hint && <span className="text-slate-600"> — {p.hint}</span>}
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
