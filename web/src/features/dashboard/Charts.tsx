// The dashboard's charts over the chosen range: throughput (runs started and succeeded per
// bucket), failures, and durations (mean and longest per bucket, with the range's p95 as a
// reference line). Each chart comes with a one-sentence summary and, for screen readers, the
// numbers it draws as a table.
import type { ReactElement } from "react";
import {
  Area,
  AreaChart,
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import { formatBucket, formatCount, formatDuration, formatDurationCompact } from "@/lib/format";
import type { Stats } from "./queries";

const COLORS = {
  started: "#4f46e5",
  succeeded: "#059669",
  failed: "#dc2626",
  timedOut: "#ea580c",
  avg: "#2563eb",
  max: "#475569",
  p95: "#b45309",
};

export interface ChartPoint {
  at: number;
  label: string;
  started: number;
  succeeded: number;
  failed: number;
  timed_out: number;
  avg: number | null;
  max: number | null;
}

export function toPoints(stats: Stats): ChartPoint[] {
  return stats.series.map((b) => ({
    at: b.at,
    label: formatBucket(b.at, stats.bucket_ms),
    started: b.started,
    succeeded: b.succeeded,
    failed: b.failed,
    timed_out: b.timed_out,
    avg: b.avg_duration_ms ?? null,
    max: b.max_duration_ms ?? null,
  }));
}

/** One area, bar or line of a chart: the field of the points it draws, its name and look. */
interface Series {
  key: "started" | "succeeded" | "failed" | "timed_out" | "avg" | "max";
  name: string;
  color: string;
  fillOpacity?: number;
  dash?: string;
}

const THROUGHPUT: Series[] = [
  { key: "started", name: "Started", color: COLORS.started, fillOpacity: 0.15 },
  { key: "succeeded", name: "Succeeded", color: COLORS.succeeded, fillOpacity: 0.2 },
];
const FAILURES: Series[] = [
  { key: "failed", name: "Failed", color: COLORS.failed },
  { key: "timed_out", name: "Timed out", color: COLORS.timedOut },
];
const DURATIONS: Series[] = [
  { key: "avg", name: "Mean", color: COLORS.avg },
  { key: "max", name: "Longest", color: COLORS.max, dash: "2 2" },
];

/**
 * A chart with its title and summary, sized by its box, and the numbers of its `series` as a
 * table for screen readers (each value through `format`). `children` is the Recharts chart.
 */
function ChartCard({
  id,
  title,
  summary,
  points,
  series,
  format = (v) => v ?? "",
  children,
}: {
  id: string;
  title: string;
  summary: string;
  points: ChartPoint[];
  series: Series[];
  format?: (v: number | null) => string | number;
  children: ReactElement;
}) {
  const columns = ["Interval", ...series.map((s) => s.name)];
  const rows = points.map((p) => [p.label, ...series.map((s) => format(p[s.key]))]);
  return (
    <figure className="min-w-0 rounded-lg border border-slate-200 bg-white p-4" aria-labelledby={`${id}-title`} aria-describedby={`${id}-summary`} data-testid={`chart-${id}`}>
      <figcaption>
        <h2 id={`${id}-title`} className="text-sm font-semibold text-slate-900">
          {title}
        </h2>
        <p id={`${id}-summary`} className="mt-0.5 text-xs text-slate-600">
          {summary}
        </p>
      </figcaption>
      <div className="mt-3 h-56">
        <ResponsiveContainer width="100%" height="100%" initialDimension={INITIAL}>
          {children}
        </ResponsiveContainer>
      </div>
      <table className="sr-only">
        <caption>{title}, per interval</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={i}>
              {r.map((v, j) => (j === 0 ? <th key={j} scope="row">{v}</th> : <td key={j}>{v}</td>))}
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}

// Renders at a sensible size before the container is measured (and in tests, where it never is).
const INITIAL = { width: 600, height: 224 };

// What every chart shares: the grid, the axes' look, the time axis and the legend.
const axis = { stroke: "#64748b", fontSize: 11, tickLine: false } as const;
const grid = { strokeDasharray: "3 3", stroke: "#e2e8f0" };
const timeAxis = { dataKey: "label", ...axis, minTickGap: 16 };
const legend = { wrapperStyle: { fontSize: 12 } };
/** Count axes have short labels, so the plot starts further left. */
const countMargin = { top: 4, right: 8, bottom: 0, left: -16 };

function busiest(points: ChartPoint[], key: "started" | "failed"): ChartPoint | undefined {
  return points.reduce<ChartPoint | undefined>((best, p) => (p[key] > (best?.[key] ?? 0) ? p : best), undefined);
}

export function ThroughputChart({ stats, points, range }: { stats: Stats; points: ChartPoint[]; range: string }) {
  const peak = busiest(points, "started");
  const summary =
    `${formatCount(stats.started)} started and ${formatCount(stats.succeeded)} succeeded, ${range.toLowerCase()}.` +
    (peak ? ` Busiest interval: ${peak.label} with ${formatCount(peak.started)} started.` : "");
  return (
    <ChartCard id="throughput" title="Throughput" summary={summary} points={points} series={THROUGHPUT}>
      <AreaChart data={points} margin={countMargin} title="Throughput" desc={summary}>
        <CartesianGrid {...grid} />
        <XAxis {...timeAxis} />
        <YAxis allowDecimals={false} {...axis} />
        <Tooltip />
        <Legend {...legend} />
        {THROUGHPUT.map((s) => (
          <Area key={s.key} type="monotone" dataKey={s.key} name={s.name} stroke={s.color} fill={s.color} fillOpacity={s.fillOpacity} isAnimationActive={false} />
        ))}
      </AreaChart>
    </ChartCard>
  );
}

export function FailuresChart({ stats, points, range }: { stats: Stats; points: ChartPoint[]; range: string }) {
  const worst = busiest(points, "failed");
  const summary =
    `${formatCount(stats.failed)} failed and ${formatCount(stats.timed_out)} timed out, ${range.toLowerCase()}.` +
    (worst ? ` Most failures: ${worst.label} with ${formatCount(worst.failed)}.` : "");
  return (
    <ChartCard id="failures" title="Failures" summary={summary} points={points} series={FAILURES}>
      <BarChart data={points} margin={countMargin} title="Failures" desc={summary}>
        <CartesianGrid {...grid} vertical={false} />
        <XAxis {...timeAxis} />
        <YAxis allowDecimals={false} {...axis} />
        <Tooltip cursor={{ fill: "#f1f5f9" }} />
        <Legend {...legend} />
        {FAILURES.map((s) => (
          <Bar key={s.key} dataKey={s.key} name={s.name} stackId="f" fill={s.color} isAnimationActive={false} />
        ))}
      </BarChart>
    </ChartCard>
  );
}

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const STEPS = [100, 250, 500, S, 2 * S, 5 * S, 10 * S, 15 * S, 30 * S, M, 2 * M, 5 * M, 10 * M, 15 * M, 30 * M, H, 2 * H, 6 * H, 12 * H, 24 * H];

/**
 * Axis ticks at round durations (every 5 s, 10 min, 2 h…) up to `max`: a number axis would
 * pick round milliseconds, which read as "3.3 min".
 */
export function durationTicks(max: number): number[] {
  if (!(max > 0)) return [0];
  const step = STEPS.find((st) => max / st <= 4) ?? Math.ceil(max / 4 / (24 * H)) * 24 * H;
  const top = Math.ceil(max / step);
  return Array.from({ length: top + 1 }, (_, i) => i * step);
}

// Dots, so a range where runs finished in a single interval still shows its point.
const DOT = { r: 2.5 };
const durationTooltip = (v: unknown) => formatDuration(typeof v === "number" ? v : null);

export function DurationChart({ stats, points, range }: { stats: Stats; points: ChartPoint[]; range: string }) {
  const longest = points.reduce((m, p) => Math.max(m, p.max ?? 0), 0);
  const ticks = durationTicks(Math.max(longest, stats.p95_duration_ms ?? 0));
  const summary =
    stats.p95_duration_ms === null || stats.p95_duration_ms === undefined
      ? `No finished runs to measure, ${range.toLowerCase()}.`
      : `p95 ${formatDuration(stats.p95_duration_ms)}, p50 ${formatDuration(stats.p50_duration_ms)}; longest run ${formatDuration(longest)}.`;
  return (
    <ChartCard id="durations" title="Durations" summary={summary} points={points} series={DURATIONS} format={formatDuration}>
      <LineChart data={points} margin={{ ...countMargin, left: 4 }} title="Durations" desc={summary}>
        <CartesianGrid {...grid} />
        <XAxis {...timeAxis} />
        <YAxis
          {...axis}
          ticks={ticks}
          domain={[0, ticks[ticks.length - 1]]}
          tickFormatter={(v: number) => formatDurationCompact(v)}
          width={60}
        />
        <Tooltip formatter={durationTooltip} />
        <Legend {...legend} />
        {typeof stats.p95_duration_ms === "number" && (
          <ReferenceLine
            y={stats.p95_duration_ms}
            stroke={COLORS.p95}
            strokeDasharray="4 4"
            label={{ value: "p95", position: "insideTopRight", fill: COLORS.p95, fontSize: 11 }}
          />
        )}
        {DURATIONS.map((s) => (
          <Line key={s.key} type="monotone" dataKey={s.key} name={s.name} stroke={s.color} strokeDasharray={s.dash} dot={DOT} connectNulls isAnimationActive={false} />
        ))}
      </LineChart>
    </ChartCard>
  );
}
