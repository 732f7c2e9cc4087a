// A save refused with 409: someone saved a newer version since this edit began. The person
// chooses: reload theirs (dropping these changes) or overwrite it with this edit.
import { Button } from "@/components/ui/button";
import { Dialog, DialogActions, DialogContent } from "@/components/ui/dialog";

export function ConflictDialog({
  open,
  onOpenChange,
  baseVersion,
  onReload,
  onOverwrite,
  pending,
}: {
  open: boolean;
  onOpenChange: (o: boolean) => void;
  baseVersion: number;
  onReload: () => void;
  onOverwrite: () => void;
  pending: boolean;
}) {
  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent title="Someone else saved this workflow">
        <p className="text-sm text-slate-700">
          You started from version {baseVersion}, and a newer version has been saved since. Reload it (your unsaved changes here are
          dropped) or overwrite it with your changes (theirs stay in the version history).
        </p>
        <DialogActions
          className="mt-3 flex-wrap"
          submitLabel="Overwrite"
          pendingLabel="Saving…"
          pending={pending}
          variant="destructive"
          onSubmit={onOverwrite}
        >
          <Button variant="secondary" onClick={onReload} disabled={pending}>
            Reload latest
          </Button>
        </DialogActions>
      </DialogContent>
    </Dialog>
  );
}
