// Expression fields: a monospace editor for jq and {{ }} templates with a cheat sheet,
// completion of node ids after `.nodes.`, and "Test expression", which evaluates the text
// against the last run's data so mistakes show before the workflow runs.
import { useId, useRef, useState, type KeyboardEvent } from "react";
import { FlaskConical, Lightbulb } from "lucide-react";
import { Button } from "@/components/ui/button";
import { Textarea } from "@/components/ui/input";
import { cn } from "@/lib/cn";
import { useSchemaFormContext, type TestOutcome } from "./context";
import { applyCompletion, completeNodeIds, insertAt, JQ_HINTS, nodeIdPrefix } from "./jq";

export interface ExpressionEditorProps {
  id: string;
  text: string;
  onText: (text: string) => void;
  describedBy?: string;
  invalid: boolean;
  required: boolean;
  placeholder?: string;
}

function pretty(v: unknown): string {
  return v === undefined ? "undefined" : JSON.stringify(v, null, 2);
}

export function ExpressionEditor({ id, text, onText, describedBy, invalid, required, placeholder }: ExpressionEditorProps) {
  const ctx = useSchemaFormContext();
  const ref = useRef<HTMLTextAreaElement>(null);
  const listId = useId();
  const hintsId = useId();
  const resultId = useId();
  const [caret, setCaret] = useState<number | null>(null);
  const [active, setActive] = useState(0);
  const [dismissed, setDismissed] = useState(false);
  const [hintsOpen, setHintsOpen] = useState(false);
  const [test, setTest] = useState<{ pending: boolean; outcome?: TestOutcome }>({ pending: false });

  const prefix = caret === null ? null : nodeIdPrefix(text, caret);
  const options = prefix === null || dismissed ? [] : completeNodeIds(ctx.nodeIds, prefix);
  const activeIndex = Math.min(active, Math.max(0, options.length - 1));

  const placeCaret = (pos: number) => {
    setCaret(pos);
    requestAnimationFrame(() => {
      ref.current?.focus();
      ref.current?.setSelectionRange(pos, pos);
    });
  };

  const pick = (nodeId: string) => {
    if (caret === null) return;
    const r = applyCompletion(text, caret, nodeId);
    onText(r.text);
    setDismissed(true);
    placeCaret(r.caret);
  };

  const insertHint = (snippet: string) => {
    const el = ref.current;
    const start = el?.selectionStart ?? text.length;
    const end = el?.selectionEnd ?? text.length;
    const r = insertAt(text, start, end, snippet);
    onText(r.text);
    setDismissed(false);
    placeCaret(snippet === "{{ }}" ? r.caret - 3 : r.caret);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (!options.length) return;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const step = e.key === "ArrowDown" ? 1 : -1;
      setActive((activeIndex + step + options.length) % options.length);
    } else if (e.key === "Enter" || e.key === "Tab") {
      e.preventDefault();
      pick(options[activeIndex]);
    } else if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      setDismissed(true);
    }
  };

  const runTest = async () => {
    if (!ctx.testExpression) return;
    setTest({ pending: true });
    const outcome = await ctx.testExpression(text);
    setTest({ pending: false, outcome });
  };

  const outcome = test.outcome;
  return (
    <div className="space-y-1.5">
      <div className="relative">
        <Textarea
          ref={ref}
          id={id}
          value={text}
          rows={Math.min(8, Math.max(2, text.split("\n").length))}
          onChange={(e) => {
            onText(e.target.value);
            setCaret(e.target.selectionStart);
            setDismissed(false);
            setActive(0);
          }}
          onSelect={(e) => setCaret(e.currentTarget.selectionStart)}
          onBlur={() => setCaret(null)}
          onKeyDown={onKeyDown}
          placeholder={placeholder}
          spellCheck={false}
          className="min-h-0 font-mono text-xs"
          aria-describedby={describedBy}
          aria-invalid={invalid || undefined}
          aria-required={required || undefined}
          aria-autocomplete="list"
          aria-controls={options.length ? listId : undefined}
          aria-activedescendant={options.length ? `${listId}-${activeIndex}` : undefined}
        />
        {options.length > 0 && (
          <ul
            id={listId}
            role="listbox"
            aria-label="Node ids"
            className="absolute left-0 right-0 top-full z-20 mt-1 max-h-48 overflow-auto rounded-md border border-slate-200 bg-white py-1 shadow-lg"
          >
            {options.map((o, i) => (
              <li
                key={o}
                id={`${listId}-${i}`}
                role="option"
                aria-selected={i === activeIndex}
                // Keep focus in the editor: the choice is made on mouse down, before blur.
                onMouseDown={(e) => {
                  e.preventDefault();
                  pick(o);
                }}
                className={cn(
                  "cursor-pointer px-2.5 py-1 font-mono text-xs text-slate-800",
                  i === activeIndex && "bg-indigo-50 text-indigo-900",
                )}
              >
                {o}
              </li>
            ))}
          </ul>
        )}
      </div>
      <div className="flex flex-wrap items-center gap-1.5">
        <Button
          variant="ghost"
          size="sm"
          aria-expanded={hintsOpen}
          aria-controls={hintsId}
          onClick={() => setHintsOpen((o) => !o)}
        >
          <Lightbulb aria-hidden /> jq hints
        </Button>
        {ctx.testExpression && (
          <Button variant="secondary" size="sm" onClick={runTest} disabled={!text.trim() || test.pending} aria-describedby={outcome ? resultId : undefined}>
            <FlaskConical aria-hidden /> {test.pending ? "Testing…" : "Test expression"}
          </Button>
        )}
      </div>
      {hintsOpen && (
        <ul id={hintsId} aria-label="jq hints" className="grid gap-0.5 rounded-md border border-slate-200 bg-white p-1.5">
          {JQ_HINTS.map((h) => (
            <li key={h.snippet}>
              <button
                type="button"
                onClick={() => insertHint(h.snippet)}
                className="flex w-full items-baseline gap-2 rounded px-1.5 py-0.5 text-left text-xs hover:bg-slate-100 focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
              >
                <code className="shrink-0 font-mono text-indigo-800">{h.snippet.trim()}</code>
                <span className="text-slate-600">{h.help}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <div id={resultId} aria-live="polite">
        {outcome && (
          <div
            className={cn(
              "rounded-md border p-2 text-xs",
              outcome.ok ? "border-emerald-200 bg-emerald-50" : "border-red-200 bg-red-50",
            )}
          >
            <p className={cn("font-medium", outcome.ok ? "text-emerald-900" : "text-red-800")}>
              {outcome.ok ? "Result" : "Error"}
              {outcome.note ? <span className="font-normal text-slate-700"> · {outcome.note}</span> : null}
            </p>
            {outcome.ok ? (
              <pre className="mt-1 max-h-48 overflow-auto whitespace-pre-wrap break-all font-mono text-slate-900" data-testid="expression-result">
                {pretty(outcome.result)}
              </pre>
            ) : (
              <p className="mt-1 font-mono text-red-800" data-testid="expression-error">
                {outcome.error}
              </p>
            )}
          </div>
        )}
      </div>
    </div>
  );
}
