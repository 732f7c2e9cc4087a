// Text inputs whose value is parsed (numbers, JSON): the typed text is kept locally so an
// unfinished entry is not thrown away, applied only when it parses, and replaced when the
// value changes from outside (undo, another panel).
import { useState } from "react";
import { sameValue, type Parsed } from "./schema";

export function useParsedText<T>(
  value: T,
  format: (v: T) => string,
  parse: (text: string) => Parsed<T>,
  apply: (v: T) => void,
) {
  const [text, setText] = useState(() => format(value));
  const [seen, setSeen] = useState<T>(value);
  const [error, setError] = useState<string | null>(null);
  if (!sameValue(seen, value)) {
    setSeen(value);
    const mine = parse(text);
    // Our own edit coming back keeps the text as typed (spacing, key order); anything else resets it.
    if (!(mine.ok && sameValue(mine.value, value))) {
      setText(format(value));
      setError(null);
    }
  }
  const change = (next: string) => {
    setText(next);
    const p = parse(next);
    if (p.ok) {
      setError(null);
      if (!sameValue(p.value, value)) apply(p.value);
    } else {
      setError(p.error);
    }
  };
  return { text, error, change };
}
