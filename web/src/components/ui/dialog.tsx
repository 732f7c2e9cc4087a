import type { ReactNode } from "react";
import { Dialog as D } from "radix-ui";
import { X } from "lucide-react";
import { cn } from "@/lib/cn";
import { Button, type ButtonProps } from "./button";

export const Dialog = D.Root;
export const DialogTrigger = D.Trigger;
export const DialogClose = D.Close;

export function DialogContent({
  title,
  description,
  children,
  className,
}: {
  title: string;
  description?: string;
  children: ReactNode;
  className?: string;
}) {
  return (
    <D.Portal>
      <D.Overlay className="fixed inset-0 z-40 bg-slate-900/40" />
      <D.Content
        className={cn(
          "fixed left-1/2 top-1/2 z-50 max-h-[90vh] w-[min(92vw,32rem)] -translate-x-1/2 -translate-y-1/2 overflow-auto rounded-lg bg-white p-5 shadow-xl focus:outline-none",
          className,
        )}
      >
        <D.Title className="text-base font-semibold text-slate-900">{title}</D.Title>
        {description ? (
          <D.Description className="mt-1 text-sm text-slate-600">{description}</D.Description>
        ) : (
          <D.Description className="sr-only">{title}</D.Description>
        )}
        <div className="mt-4">{children}</div>
        <D.Close
          aria-label="Close"
          className="absolute right-3 top-3 rounded p-1 text-slate-500 hover:bg-slate-100 focus-visible:ring-2 focus-visible:ring-indigo-500"
        >
          <X className="size-4" />
        </D.Close>
      </D.Content>
    </D.Portal>
  );
}

/**
 * The row of buttons at the foot of a dialog: one that closes it (Cancel) and the one that
 * does what the dialog is for. That one submits the dialog's form, or calls `onSubmit` when
 * there is no form; while `pending` it is disabled and reads `pendingLabel`. `children` go
 * between the two.
 */
export function DialogActions({
  submitLabel,
  pendingLabel,
  pending = false,
  disabled = false,
  variant,
  onSubmit,
  cancelLabel = "Cancel",
  className,
  children,
}: {
  submitLabel: string;
  pendingLabel?: string;
  pending?: boolean;
  disabled?: boolean;
  variant?: ButtonProps["variant"];
  onSubmit?: () => void;
  cancelLabel?: string;
  className?: string;
  children?: ReactNode;
}) {
  return (
    <div className={cn("flex justify-end gap-2 pt-2", className)}>
      <DialogClose asChild>
        <Button variant="secondary">{cancelLabel}</Button>
      </DialogClose>
      {children}
      <Button type={onSubmit ? "button" : "submit"} variant={variant} onClick={onSubmit} disabled={pending || disabled}>
        {pending ? (pendingLabel ?? submitLabel) : submitLabel}
      </Button>
    </div>
  );
}
