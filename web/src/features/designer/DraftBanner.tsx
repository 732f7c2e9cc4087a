// Offers back an unsaved draft found in local storage when a workflow is opened, saying
// when it was made and whether the workflow has been saved since (then saving it will ask
// whether to overwrite).
import { Button } from "@/components/ui/button";
import { formatLocalDateTime } from "@/lib/format";
import type { Draft } from "./drafts";

export function DraftBanner({ draft, latestVersion, onRestore, onDiscard }: { draft: Draft; latestVersion: number; onRestore: () => void; onDiscard: () => void }) {
  const stale = draft.baseVersion !== latestVersion;
  return (
    <div role="region" aria-label="Unsaved draft" className="flex flex-wrap items-center gap-2 border-b border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-950">
      <p className="min-w-0 flex-1">
        You have unsaved changes from {formatLocalDateTime(draft.savedAt)}, based on version {draft.baseVersion}.
        {stale && ` Version ${latestVersion} has been saved since; restoring lets you compare, and saving will ask before overwriting it.`}
      </p>
      <Button size="sm" onClick={onRestore}>
        Restore draft
      </Button>
      <Button size="sm" variant="secondary" onClick={onDiscard}>
        Discard draft
      </Button>
    </div>
  );
}
