import { Badge } from "./ui/misc";
import { cn } from "@/lib/cn";

/** Colours for execution and node statuses; text stays dark enough for AA contrast. */
export const statusStyle: Record<string, string> = {
  queued: "border-slate-300 bg-slate-50 text-slate-700",
  running: "border-blue-300 bg-blue-50 text-blue-800",
  waiting: "border-amber-300 bg-amber-50 text-amber-800",
  succeeded: "border-emerald-300 bg-emerald-50 text-emerald-800",
  failed: "border-red-300 bg-red-50 text-red-800",
  cancelled: "border-slate-400 bg-slate-100 text-slate-700",
  timed_out: "border-orange-300 bg-orange-50 text-orange-800",
  skipped: "border-slate-200 bg-white text-slate-500",
};

export function StatusBadge({ status, className }: { status: string; className?: string }) {
  return (
    <Badge className={cn(statusStyle[status] ?? statusStyle.queued, className)} data-status={status}>
      {status.replace("_", " ")}
    </Badge>
  );
}
