// The jq cheat sheet shown next to expression fields, and node-id completion after
// `.nodes.`: enough to write the common expressions without leaving the designer.
export interface JqHint {
  /** Inserted at the caret. */
  snippet: string;
  /** What it means, in a few words. */
  help: string;
}

export const JQ_HINTS: readonly JqHint[] = [
  { snippet: ".prev", help: "output of the node that activated this one" },
  { snippet: ".input", help: "the execution's input" },
  { snippet: ".nodes.", help: "output of any earlier node: .nodes.<id>" },
  { snippet: ".item", help: "current item (inside a For each body)" },
  { snippet: ".index", help: "iteration number, from 0 (inside loops)" },
  { snippet: ".vars", help: "the workflow's vars" },
  { snippet: ".execution.id", help: "this execution's id" },
  { snippet: " | length", help: "length of a string, array or object" },
  { snippet: "select(. > 0)", help: "keep values that match" },
  { snippet: "map(.price)", help: "transform every array element" },
  { snippet: " | tostring", help: "convert to a string" },
  { snippet: " // \"default\"", help: "fallback when null or false" },
  { snippet: "keys", help: "an object's keys" },
  { snippet: "add", help: "sum an array (or join strings)" },
  { snippet: "{{ }}", help: "template: embed an expression in text" },
];

/** The partial node id being typed after `.nodes.` just before the caret, if any. */
export function nodeIdPrefix(text: string, caret: number): string | null {
  const m = /\.nodes\.([A-Za-z0-9_.-]*)$/.exec(text.slice(0, caret));
  return m ? m[1] : null;
}

/** Node ids matching what was typed (prefix matches first, then substring matches). */
export function completeNodeIds(ids: readonly string[], prefix: string, limit = 8): string[] {
  const p = prefix.toLowerCase();
  const starts = ids.filter((id) => id.toLowerCase().startsWith(p));
  const contains = ids.filter((id) => !id.toLowerCase().startsWith(p) && id.toLowerCase().includes(p));
  return [...starts, ...contains].slice(0, limit);
}

/** `text` with the partial id before `caret` replaced by `id`; returns the new caret too. */
export function applyCompletion(text: string, caret: number, id: string): { text: string; caret: number } {
  const prefix = nodeIdPrefix(text, caret) ?? "";
  const start = caret - prefix.length;
  // Ids with `-` or `.` need the quoted form in jq.
  const plain = /^[A-Za-z_][A-Za-z0-9_]*$/.test(id);
  const before = plain ? text.slice(0, start) : text.slice(0, start - 1);
  const insert = plain ? id : `["${id}"]`;
  return { text: before + insert + text.slice(caret), caret: before.length + insert.length };
}

/** `text` with `snippet` inserted at the selection. */
export function insertAt(text: string, start: number, end: number, snippet: string): { text: string; caret: number } {
  return { text: text.slice(0, start) + snippet + text.slice(end), caret: start + snippet.length };
}
