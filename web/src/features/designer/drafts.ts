// Unsaved edits survive a reload: the current definition is written to localStorage (keyed
// by workflow id and the version it was based on) a moment after each change, offered back
// when the workflow is opened, and dropped once saved or discarded.
import type { Definition } from "@/api/types";
import type { useDesigner } from "./store";

const PREFIX = "weft.draft.";
/** Wait this long after the last change before writing (typing is many changes). */
export const DRAFT_DELAY_MS = 500;

export interface Draft {
  workflowId: string;
  baseVersion: number;
  /** Epoch ms. */
  savedAt: number;
  definition: Definition;
}

export function draftKey(workflowId: string, baseVersion: number): string {
  return `${PREFIX}${workflowId}.${baseVersion}`;
}

function keysOf(workflowId: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < localStorage.length; i++) {
    const k = localStorage.key(i);
    if (k?.startsWith(`${PREFIX}${workflowId}.`)) out.push(k);
  }
  return out;
}

export function writeDraft(d: Draft): void {
  try {
    // One draft per workflow: an edit based on a newer version replaces an older one.
    for (const k of keysOf(d.workflowId)) if (k !== draftKey(d.workflowId, d.baseVersion)) localStorage.removeItem(k);
    localStorage.setItem(draftKey(d.workflowId, d.baseVersion), JSON.stringify(d));
  } catch {
    // Storage full or disabled: the edit still lives in memory; nothing else to do.
  }
}

/** The newest draft of a workflow, if any. */
export function readDraft(workflowId: string): Draft | null {
  let best: Draft | null = null;
  for (const k of keysOf(workflowId)) {
    try {
      const d = JSON.parse(localStorage.getItem(k) ?? "null") as Draft | null;
      if (d && Array.isArray(d.definition?.nodes) && (!best || d.savedAt > best.savedAt)) best = d;
    } catch {
      localStorage.removeItem(k);
    }
  }
  return best;
}

export function clearDrafts(workflowId: string): void {
  for (const k of keysOf(workflowId)) localStorage.removeItem(k);
}

/**
 * Keeps the draft in step with the store: written (debounced) while there are unsaved
 * changes, removed when the edit is saved or reverted. Returns the unsubscribe function.
 */
export function startDraftAutosave(store: typeof useDesigner): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const unsubscribe = store.subscribe((s, prev) => {
    if (s.stateId === prev.stateId && s.dirty === prev.dirty) return;
    clearTimeout(timer);
    const id = s.workflowId;
    if (!id) return;
    if (!s.dirty) {
      // Saved, or undone back to the saved state. A fresh load is neither: the draft it may
      // be offering must survive until the person decides.
      if (prev.dirty && prev.workflowId === id) clearDrafts(id);
      return;
    }
    timer = setTimeout(() => {
      const now = store.getState();
      if (now.workflowId === id && now.dirty)
        writeDraft({ workflowId: id, baseVersion: now.baseVersion, savedAt: Date.now(), definition: now.definition() });
    }, DRAFT_DELAY_MS);
  });
  return () => {
    clearTimeout(timer);
    unsubscribe();
  };
}
