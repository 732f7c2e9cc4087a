// Node ids: readable ones derived from the type (`http_request`, `http_request_2`), unique
// across the whole definition (loop bodies included, since executions address body nodes
// by id too), and checked with the same rule as the validator.
const ID_PATTERN = /^[A-Za-z0-9_.-]{1,128}$/;

/** The id stem for a node type: `http.request` → `http_request`. */
export function idStem(type: string): string {
  const stem = type.replace(/[^A-Za-z0-9_-]+/g, "_").replace(/^_+|_+$/g, "");
  return stem.slice(0, 100) || "node";
}

/** The first free id for `type`: the stem, then stem_2, stem_3, … */
export function uniqueId(type: string, taken: ReadonlySet<string>): string {
  const stem = idStem(type);
  if (!taken.has(stem)) return stem;
  for (let i = 2; ; i++) {
    const id = `${stem}_${i}`;
    if (!taken.has(id)) return id;
  }
}

/** Why `id` cannot be used (null when it can). `current` is the node's own id. */
export function idProblem(id: string, taken: ReadonlySet<string>, current?: string): string | null {
  if (!id) return "An id is required.";
  if (!ID_PATTERN.test(id)) return "Use letters, digits, _, - and . (at most 128).";
  if (id !== current && taken.has(id)) return `Another node already has the id “${id}”.`;
  return null;
}
