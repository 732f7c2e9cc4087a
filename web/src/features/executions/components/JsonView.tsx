// Inputs, outputs and errors as indented JSON with a copy button. Very large values are cut
// for display (the copy is always the whole value), so one huge output cannot freeze the page.
import { useMemo, useState } from "react";
import { Check, Copy } from "lucide-react";
import { Button } from "@/components/ui/button";
import { toast } from "@/components/ui/toast";
import { cn } from "@/lib/cn";

const SHOWN_CHARS = 20_000;

export function toJsonText(value: unknown): string {
  if (value === undefined) return "";
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}

export function JsonView({
  label,
  value,
  className,
  empty = "Nothing yet",
}: {
  /** What the value is ("Input", "Output"); names the region and the copy button. */
  label: string;
  value: unknown;
  className?: string;
  /** Shown when there is no value. */
  empty?: string;
}) {
  const text = useMemo(() => toJsonText(value), [value]);
  const [all, setAll] = useState(false);
  const [copied, setCopied] = useState(false);
  const cut = !all && text.length > SHOWN_CHARS;

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(true);
      setTimeout(() => setCopied(false), 1500);
    } catch {
      toast.error("Could not copy: the browser refused access to the clipboard");
    }
  };

  if (value === undefined) return <p className={cn("text-sm text-slate-500", className)}>{empty}</p>;
  return (
    <div className={cn("relative rounded-md border border-slate-200 bg-slate-50", className)}>
      <Button
        variant="ghost"
        size="icon"
        className="absolute right-1 top-1 bg-slate-50/90"
        onClick={copy}
        aria-label={`Copy ${label.toLowerCase()}`}
        title={`Copy ${label.toLowerCase()} as JSON`}
      >
        {copied ? <Check aria-hidden /> : <Copy aria-hidden />}
      </Button>
      <pre
        aria-label={label}
        tabIndex={0}
        className="max-h-80 overflow-auto p-2.5 pr-10 font-mono text-xs leading-relaxed text-slate-800 focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
      >
        {cut ? `${text.slice(0, SHOWN_CHARS)}\n…` : text}
      </pre>
      {cut && (
        <div className="border-t border-slate-200 px-2.5 py-1.5 text-xs text-slate-600">
          Showing {SHOWN_CHARS.toLocaleString()} of {text.length.toLocaleString()} characters.{" "}
          <Button variant="link" size="sm" className="h-auto p-0 text-xs" onClick={() => setAll(true)}>
            Show all
          </Button>
        </div>
      )}
    </div>
  );
}
