// How the instance is doing: what runs and queues right now, how runs ended over a chosen
// range (1h / 24h / 7d / 30d, kept in the URL), throughput, failure and duration charts,
// and the latest runs and failures. Everything refreshes every 10 seconds.
import { useMemo } from "react";
import { useSearchParams } from "react-router";
import { PageHeader, Spinner } from "@/components/ui/misc";
import { ErrorNotice } from "@/components/ErrorNotice";
import { cn } from "@/lib/cn";
import { formatClock } from "@/lib/format";
import { DurationChart, FailuresChart, ThroughputChart, toPoints } from "./Charts";
import { KpiCards } from "./KpiCards";
import { DEFAULT_RANGE, RANGES, REFRESH_MS, isDashboardRange, useStats, type DashboardRange } from "./queries";
import { RecentExecutions, RecentFailures } from "./RecentRuns";

function RangeSelector({ value, onChange }: { value: DashboardRange; onChange: (r: DashboardRange) => void }) {
  return (
    <div role="group" aria-label="Time range" className="inline-flex rounded-md border border-slate-300 bg-white p-0.5">
      {(Object.keys(RANGES) as DashboardRange[]).map((r) => (
        <button
          key={r}
          type="button"
          aria-pressed={r === value}
          title={RANGES[r].title}
          onClick={() => onChange(r)}
          className={cn(
            "rounded px-3 py-1 text-sm font-medium focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500",
            r === value ? "bg-indigo-600 text-white" : "text-slate-700 hover:bg-slate-100",
          )}
        >
          {RANGES[r].label}
        </button>
      ))}
    </div>
  );
}

export function DashboardPage() {
  const [params, setParams] = useSearchParams();
  const p = params.get("range");
  const range: DashboardRange = isDashboardRange(p) ? p : DEFAULT_RANGE;
  const stats = useStats(range);
  const points = useMemo(() => (stats.data ? toPoints(stats.data) : []), [stats.data]);
  const title = RANGES[range].title;

  return (
    <div className="space-y-5">
      <PageHeader title="Dashboard">
        {stats.dataUpdatedAt > 0 && (
          <span className="text-xs text-slate-600" aria-live="off">
            Updated {formatClock(stats.dataUpdatedAt).slice(0, 8)} · every {REFRESH_MS / 1000} s
          </span>
        )}
        <RangeSelector value={range} onChange={(r) => setParams(r === DEFAULT_RANGE ? {} : { range: r }, { replace: true })} />
      </PageHeader>

      {stats.isPending ? (
        <Spinner label="Loading figures" />
      ) : !stats.data ? (
        <ErrorNotice what="the figures" error={stats.error} onRetry={() => void stats.refetch()} />
      ) : (
        <div className={cn("space-y-5 transition-opacity", stats.isPlaceholderData && "opacity-60")} aria-busy={stats.isPlaceholderData}>
          {stats.isError && (
            // Keep showing the last figures, but say they are not current.
            <ErrorNotice what="fresh figures (showing the last ones)" error={stats.error} />
          )}
          <KpiCards stats={stats.data} rangeTitle={title} />
          <div className="grid gap-4 xl:grid-cols-3">
            <ThroughputChart stats={stats.data} points={points} range={title} />
            <FailuresChart stats={stats.data} points={points} range={title} />
            <DurationChart stats={stats.data} points={points} range={title} />
          </div>
        </div>
      )}

      <div className="grid gap-4 xl:grid-cols-[minmax(0,2fr)_minmax(0,1fr)]">
        <RecentExecutions />
        <RecentFailures range={range} />
      </div>
    </div>
  );
}
