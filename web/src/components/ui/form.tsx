// One form row: a label, its control, an optional help line and the message when the value is
// at fault, wired for assistive technology (the label names the control, help and error
// describe it, `aria-invalid` marks it). The control is the single child element, which gets
// `id`, `aria-describedby` and `aria-invalid` (its own props win, its own descriptions are
// added to these); a function child receives them instead, for a control inside a wrapper.
import { useId, type ReactElement, type ReactNode } from "react";
import { Slot } from "radix-ui";
import { cn } from "@/lib/cn";
import { FieldError, Label } from "./input";

export interface ControlProps {
  id: string;
  "aria-describedby"?: string;
  "aria-invalid"?: boolean;
}

export function FormField({
  id: givenId,
  label,
  help,
  error,
  invalid,
  className,
  labelClassName,
  children,
}: {
  /** The control's id; one is made up when absent. */
  id?: string;
  label: ReactNode;
  /** A line under the control that says what to enter. */
  help?: ReactNode;
  /** Why the value is not accepted; shown under the control and announced. */
  error?: ReactNode;
  /** Whether the control is marked invalid; by default, whenever there is an error. */
  invalid?: boolean;
  /** Classes for the row (e.g. a width). */
  className?: string;
  labelClassName?: string;
  children: ReactElement | ((control: ControlProps) => ReactNode);
}) {
  const madeUp = useId();
  const id = givenId ?? madeUp;
  const helpId = `${id}-help`;
  const errorId = `${id}-error`;
  const describedBy = [help && helpId, error && errorId].filter(Boolean).join(" ") || undefined;
  const control: ControlProps = { id, "aria-describedby": describedBy, "aria-invalid": (invalid ?? !!error) || undefined };
  return (
    <div className={className}>
      <Label htmlFor={id} className={labelClassName}>
        {label}
      </Label>
      {typeof children === "function" ? children(control) : <Slot.Root {...control}>{children}</Slot.Root>}
      {help && (
        <p id={helpId} className="mt-1 text-xs text-slate-600">
          {help}
        </p>
      )}
      <FieldError id={errorId}>{error}</FieldError>
    </div>
  );
}

/** A failure that belongs to the whole form or dialog rather than one field. */
export function FormAlert({ children, className }: { children?: ReactNode; className?: string }) {
  if (!children) return null;
  return (
    <p role="alert" className={cn("rounded-md border border-red-200 bg-red-50 p-2 text-sm text-red-800", className)}>
      {children}
    </p>
  );
}
