// Keyboard shortcuts: one table drives both the key handling and the help dialog, so the
// dialog cannot drift from what the keys actually do.
import { useEffect } from "react";

export type ShortcutAction =
  | "undo"
  | "redo"
  | "copy"
  | "paste"
  | "delete"
  | "save"
  | "selectAll"
  | "fitView"
  | "autoLayout"
  | "help";

interface Shortcut {
  action: ShortcutAction;
  /** Shown in the help dialog. */
  keys: string[][];
  label: string;
  match: (e: KeyboardEvent) => boolean;
  /** Also fires while typing in a field (only Save: Ctrl+S should never save the page). */
  inFields?: boolean;
}

const mod = (e: KeyboardEvent) => e.ctrlKey || e.metaKey;
const key = (e: KeyboardEvent) => e.key.toLowerCase();

export const SHORTCUTS: readonly Shortcut[] = [
  { action: "undo", label: "Undo", keys: [["Ctrl/⌘", "Z"]], match: (e) => mod(e) && !e.shiftKey && key(e) === "z" },
  {
    action: "redo",
    label: "Redo",
    keys: [["Ctrl/⌘", "Shift", "Z"], ["Ctrl/⌘", "Y"]],
    match: (e) => mod(e) && ((e.shiftKey && key(e) === "z") || (!e.shiftKey && key(e) === "y")),
  },
  { action: "copy", label: "Copy selected nodes", keys: [["Ctrl/⌘", "C"]], match: (e) => mod(e) && key(e) === "c" },
  { action: "paste", label: "Paste", keys: [["Ctrl/⌘", "V"]], match: (e) => mod(e) && key(e) === "v" },
  {
    action: "delete",
    label: "Delete selection",
    keys: [["Delete"], ["Backspace"]],
    match: (e) => !mod(e) && (e.key === "Delete" || e.key === "Backspace"),
  },
  { action: "save", label: "Save", keys: [["Ctrl/⌘", "S"]], match: (e) => mod(e) && key(e) === "s", inFields: true },
  { action: "selectAll", label: "Select all", keys: [["Ctrl/⌘", "A"]], match: (e) => mod(e) && key(e) === "a" },
  { action: "fitView", label: "Fit view", keys: [["F"]], match: (e) => !mod(e) && !e.altKey && key(e) === "f" },
  { action: "autoLayout", label: "Auto layout", keys: [["L"]], match: (e) => !mod(e) && !e.altKey && key(e) === "l" },
  { action: "help", label: "Keyboard shortcuts", keys: [["?"]], match: (e) => !mod(e) && e.key === "?" },
];

/** Mouse and React Flow gestures, listed in the help dialog after the shortcuts. */
export const GESTURES: readonly { keys: string[][]; label: string }[] = [
  { keys: [["Shift", "drag"]], label: "Select with a box" },
  { keys: [["Ctrl/⌘", "click"]], label: "Add to the selection" },
  { keys: [["Arrow keys"]], label: "Move selected nodes" },
  { keys: [["Enter"]], label: "Add the focused palette node at the centre" },
];

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || !el.tagName) return false;
  return el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName);
}

/** Runs `handlers` for the designer's shortcuts while mounted; ignores keys meant for fields and dialogs. */
export function useShortcuts(handlers: Partial<Record<ShortcutAction, () => void>>, enabled = true) {
  useEffect(() => {
    if (!enabled) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.isComposing) return;
      const typing = isTyping(e.target);
      // A dialog owns the keyboard while open.
      const inDialog = !!(e.target as HTMLElement | null)?.closest?.("[role=dialog],[role=alertdialog]");
      const s = SHORTCUTS.find((x) => x.match(e));
      if (!s) return;
      if ((typing || inDialog) && !(s.inFields && !inDialog)) return;
      const run = handlers[s.action];
      if (!run) return;
      e.preventDefault();
      run();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [handlers, enabled]);
}
