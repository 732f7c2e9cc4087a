// Data tables in one look: a bordered, horizontally scrolling box, a caption for screen
// readers, a tinted header row in small capitals, dividers between rows and a hover tint.
// `size` sets the density for every cell below it: "sm" and "xs" for event and attempt
// lists in tight panels.
import { createContext, use, type HTMLAttributes, type ReactNode, type TdHTMLAttributes, type ThHTMLAttributes } from "react";
import { cn } from "@/lib/cn";

type Size = "default" | "sm" | "xs";

const cellPadding: Record<Size, string> = {
  default: "px-3 py-2",
  sm: "px-3 py-1.5",
  xs: "px-2 py-1",
};

const SizeContext = createContext<Size>("default");

export function Table({
  caption,
  size = "default",
  className,
  children,
}: {
  /** Names the table for screen readers. */
  caption: string;
  size?: Size;
  /** Classes for the surrounding box. */
  className?: string;
  children: ReactNode;
}) {
  return (
    <SizeContext value={size}>
      <div className={cn("overflow-x-auto border border-slate-200 bg-white", size === "default" ? "rounded-lg" : "rounded-md", className)}>
        <table className={cn("w-full text-left", size === "default" ? "text-sm" : "text-xs")}>
          <caption className="sr-only">{caption}</caption>
          {children}
        </table>
      </div>
    </SizeContext>
  );
}

/** The header: one row of `TH`s. */
export function THead({ className, children }: { className?: string; children: ReactNode }) {
  return (
    <thead className={cn("border-b border-slate-200 bg-slate-50 text-xs uppercase tracking-wide text-slate-600", className)}>
      <tr>{children}</tr>
    </thead>
  );
}

export function TBody({ className, ...props }: HTMLAttributes<HTMLTableSectionElement>) {
  return <tbody className={cn("divide-y divide-slate-100", className)} {...props} />;
}

/** A body row; tinted under the pointer unless `hover` is false. */
export function TRow({ hover = true, className, ...props }: HTMLAttributes<HTMLTableRowElement> & { hover?: boolean }) {
  return <tr className={cn(hover && "hover:bg-slate-50", className)} {...props} />;
}

/** A column header. */
export function TH({ className, ...props }: ThHTMLAttributes<HTMLTableCellElement>) {
  const size = use(SizeContext);
  return <th scope="col" className={cn(cellPadding[size], "font-medium", className)} {...props} />;
}

export function TD({ className, ...props }: TdHTMLAttributes<HTMLTableCellElement>) {
  const size = use(SizeContext);
  return <td className={cn(cellPadding[size], className)} {...props} />;
}
