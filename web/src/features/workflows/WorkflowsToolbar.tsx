// Search and tag filters for the workflow list. Both live in the URL (?q=, ?tag=) so a
// filtered list can be bookmarked, shared and restored with the back button.
import { useEffect, useState } from "react";
import { Search, X } from "lucide-react";
import { Input, Label } from "@/components/ui/input";
import { cn } from "@/lib/cn";

const DEBOUNCE_MS = 300;

export function WorkflowsToolbar({
  q,
  tag,
  tags,
  onChange,
}: {
  q: string;
  tag: string;
  /** Tags to offer as chips (those seen on the loaded workflows). */
  tags: string[];
  onChange: (patch: { q?: string; tag?: string }) => void;
}) {
  const [text, setText] = useState(q);
  const [shownQ, setShownQ] = useState(q);
  // The URL changed under us (back button, a nav link): show what it says now.
  if (q !== shownQ) {
    setShownQ(q);
    if (q !== text.trim()) setText(q);
  }

  useEffect(() => {
    const next = text.trim();
    if (next === q) return;
    const t = setTimeout(() => onChange({ q: next }), DEBOUNCE_MS);
    return () => clearTimeout(t);
  }, [text, q, onChange]);

  const chips = tag && !tags.includes(tag) ? [tag, ...tags] : tags;

  return (
    <div className="mb-4 flex flex-col gap-3">
      <div className="relative max-w-md">
        <Label htmlFor="workflow-search" className="sr-only">
          Search workflows
        </Label>
        <Search className="pointer-events-none absolute left-2.5 top-2.5 size-4 text-slate-500" aria-hidden />
        <Input
          id="workflow-search"
          type="search"
          placeholder="Search workflows by name"
          className="pl-8"
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            // Enter searches at once instead of waiting out the debounce.
            if (e.key === "Enter") onChange({ q: text.trim() });
          }}
        />
      </div>
      {chips.length > 0 && (
        <div role="group" aria-label="Filter by tag" className="flex flex-wrap items-center gap-1.5">
          <span className="text-xs font-medium text-slate-600">Tags:</span>
          {chips.map((t) => {
            const active = t === tag;
            return (
              <button
                key={t}
                type="button"
                aria-pressed={active}
                onClick={() => onChange({ tag: active ? "" : t })}
                className={cn(
                  "inline-flex items-center gap-1 rounded-full border px-2.5 py-0.5 text-xs font-medium focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500",
                  active
                    ? "border-indigo-600 bg-indigo-600 text-white hover:bg-indigo-700"
                    : "border-slate-300 bg-white text-slate-700 hover:bg-slate-50",
                )}
              >
                {t}
                {active && <X className="size-3" aria-hidden />}
              </button>
            );
          })}
        </div>
      )}
    </div>
  );
}
