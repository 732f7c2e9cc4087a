// Confirms one action on one item (delete a user, revoke a key…) that a mutation carries out
// by the item's id: open while there is an item, the failure shown in the dialog, a toast and
// closed once it worked. Closing forgets the failure, so the next item starts clean.
import type { ReactNode } from "react";
import { ConfirmDialog } from "@/components/ui/confirm";
import { toast } from "@/components/ui/toast";
import { errorText } from "@/features/auth/errors";

/** What the dialog needs of a TanStack mutation that takes an id. */
export interface IdMutation {
  mutate: (id: string, options: { onSuccess: () => void }) => void;
  reset: () => void;
  isPending: boolean;
  error: unknown;
}

export function ConfirmItemDialog<T extends { id: string }>({
  item,
  onClose,
  mutation,
  title,
  confirmLabel,
  success,
  children,
}: {
  /** The item to act on; the dialog is open while there is one. */
  item: T | null;
  onClose: () => void;
  mutation: IdMutation;
  title: string;
  confirmLabel: string;
  /** The toast once it worked. */
  success: (item: T) => string;
  /** What happens, in a sentence or two. */
  children: ReactNode;
}) {
  const close = () => {
    mutation.reset();
    onClose();
  };
  return (
    <ConfirmDialog
      open={!!item}
      onOpenChange={(o) => !o && close()}
      title={title}
      confirmLabel={confirmLabel}
      pending={mutation.isPending}
      error={mutation.error ? errorText(mutation.error) : null}
      onConfirm={() =>
        item &&
        mutation.mutate(item.id, {
          onSuccess: () => {
            toast.success(success(item));
            close();
          },
        })
      }
    >
      {children}
    </ConfirmDialog>
  );
}
