// A yes/no dialog for destructive actions, which says what will happen and shows why it
// failed without closing, so the person can retry or cancel.
import type { ReactNode } from "react";
import { Dialog, DialogActions, DialogContent } from "./dialog";
import { FormAlert } from "./form";

export function ConfirmDialog({
  open,
  onOpenChange,
  title,
  children,
  confirmLabel,
  onConfirm,
  pending = false,
  error,
  destructive = true,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  title: string;
  /** What happens, in a sentence or two. */
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  pending?: boolean;
  /** Why the last attempt failed. */
  error?: string | null;
  destructive?: boolean;
}) {
  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent title={title}>
        <div className="space-y-3 text-sm text-slate-700">{children}</div>
        <FormAlert className="mt-3">{error}</FormAlert>
        <DialogActions
          className="mt-3"
          submitLabel={confirmLabel}
          pendingLabel={`${confirmLabel}…`}
          pending={pending}
          variant={destructive ? "destructive" : "default"}
          onSubmit={onConfirm}
        />
      </DialogContent>
    </Dialog>
  );
}
