// The dashboard's headline figures: what runs and waits in the queue now, and for the chosen
// range how many runs succeeded and failed and how long the slow ones took.
import type { ReactNode } from "react";
import { cn } from "@/lib/cn";
import { formatCount, formatDuration } from "@/lib/format";
import type { Stats } from "./queries";

function Kpi({ id, label, value, note, tone }: { id: string; label: string; value: ReactNode; note?: ReactNode; tone?: string }) {
  return (
    <div className="rounded-lg border border-slate-200 bg-white p-4" data-testid={`kpi-${id}`}>
      <dt className="text-sm text-slate-600">{label}</dt>
      <dd className={cn("mt-1 text-2xl font-semibold tabular-nums text-slate-900", tone)}>{value}</dd>
      {note && <dd className="mt-0.5 text-xs text-slate-600">{note}</dd>}
    </div>
  );
}

export function KpiCards({ stats, rangeTitle }: { stats: Stats; rangeTitle: string }) {
  const finished = stats.succeeded + stats.failed + stats.timed_out + stats.cancelled;
  const rate = finished ? Math.round((stats.succeeded / finished) * 1000) / 10 : null;
  const range = rangeTitle.toLowerCase();
  return (
    <dl aria-label="Key figures" className="grid grid-cols-2 gap-3 md:grid-cols-3 xl:grid-cols-5">
      <Kpi id="running" label="Running now" value={formatCount(stats.running)} note={`${formatCount(stats.waiting)} waiting`} />
      <Kpi id="queued" label="Queue depth" value={formatCount(stats.queued)} note="accepted, not yet started" />
      <Kpi
        id="succeeded"
        label="Succeeded"
        value={formatCount(stats.succeeded)}
        tone="text-emerald-800"
        note={rate === null ? range : `${rate}% of finished, ${range}`}
      />
      <Kpi
        id="failed"
        label="Failed"
        value={formatCount(stats.failed)}
        tone={stats.failed ? "text-red-800" : undefined}
        note={`${formatCount(stats.timed_out)} timed out, ${formatCount(stats.cancelled)} cancelled`}
      />
      <Kpi
        id="p95"
        label="p95 duration"
        value={formatDuration(stats.p95_duration_ms)}
        note={`p50 ${formatDuration(stats.p50_duration_ms)}`}
      />
    </dl>
  );
}
