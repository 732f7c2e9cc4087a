import type { ReactNode } from "react";

/** Help text from node schemas, which use `backticks` for code: those parts as <code>. */
export function withCode(text: string): ReactNode {
  return text.split(/(`[^`]+`)/g).map((p, i) =>
    p.startsWith("`") && p.endsWith("`") && p.length > 1 ? (
      <code key={i} className="rounded bg-slate-100 px-1 font-mono text-[11px] text-slate-800">
        {p.slice(1, -1)}
      </code>
    ) : (
      p
    ),
  );
}

// Field help text from node schemas, with code shown as <code>.
export function Help({ id, text }: { id?: string; text?: string }) {
  if (!text) return null;
  return (
    <p id={id} className="mt-1 text-xs text-slate-600">
      {withCode(text)}
    </p>
  );
}

/** Every message for a field, each on its own line, announced when it appears. */
export function Messages({ id, messages }: { id: string; messages: readonly string[] }) {
  if (!messages.length) return null;
  return (
    <div id={id} role="alert" className="mt-1 space-y-0.5 text-xs text-red-700">
      {messages.map((m, i) => (
        <p key={i}>{m}</p>
      ))}
    </div>
  );
}
