// The dashboard's charts over the chosen range: throughput (runs started and succeeded per
// bucket), failures, and durations (mean and longest per bucket, with the range's p95 as a
// reference line). Each chart comes with a one-sentence summary and, for screen readers, the
// numbers it draws as a table.
import type { ReactNode } from "react";
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

function ChartCard({
  id,
  title,
  summary,
  columns,
  rows,
  children,
}: {
  id: string;
  title: string;
  summary: string;
  columns: string[];
  rows: (string | number)[][];
  children: ReactNode;
}) {
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
      <div className="mt-3 h-56">{children}</div>
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

const axis = { stroke: "#64748b", fontSize: 11, tickLine: false } as const;
// Renders at a sensible size before the container is measured (and in tests, where it never is).
const INITIAL = { width: 600, height: 224 };

function busiest(points: ChartPoint[], key: "started" | "failed"): ChartPoint | undefined {
  return points.reduce<ChartPoint | undefined>((best, p) => (p[key] > (best?.[key] ?? 0) ? p : best), undefined);
}

export function ThroughputChart({ stats, points, range }: { stats: Stats; points: ChartPoint[]; range: string }) {
  const peak = busiest(points, "started");
  const summary =
    `${formatCount(stats.started)} started and ${formatCount(stats.succeeded)} succeeded, ${range.toLowerCase()}.` +
    (peak ? ` Busiest interval: ${peak.label} with ${formatCount(peak.started)} started.` : "");
  return (
    <ChartCard
      id="throughput"
      title="Throughput"
      summary={summary}
      columns={["Interval", "Started", "Succeeded"]}
      rows={points.map((p) => [p.label, p.started, p.succeeded])}
    >
      <ResponsiveContainer width="100%" height="100%" initialDimension={INITIAL}>
        <AreaChart data={points} margin={{ top: 4, right: 8, bottom: 0, left: -16 }} title="Throughput" desc={summary}>
          <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
          <XAxis dataKey="label" {...axis} minTickGap={16} />
          <YAxis allowDecimals={false} {...axis} />
          <Tooltip />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <Area type="monotone" dataKey="started" name="Started" stroke={COLORS.started} fill={COLORS.started} fillOpacity={0.15} isAnimationActive={false} />
          <Area type="monotone" dataKey="succeeded" name="Succeeded" stroke={COLORS.succeeded} fill={COLORS.succeeded} fillOpacity={0.2} isAnimationActive={false} />
        </AreaChart>
      </ResponsiveContainer>
    </ChartCard>
  );
}

export function FailuresChart({ stats, points, range }: { stats: Stats; points: ChartPoint[]; range: string }) {
  const worst = busiest(points, "failed");
  const summary =
    `${formatCount(stats.failed)} failed and ${formatCount(stats.timed_out)} timed out, ${range.toLowerCase()}.` +
    (worst ? ` Most failures: ${worst.label} with ${formatCount(worst.failed)}.` : "");
  return (
    <ChartCard
      id="failures"
      title="Failures"
      summary={summary}
      columns={["Interval", "Failed", "Timed out"]}
      rows={points.map((p) => [p.label, p.failed, p.timed_out])}
    >
      <ResponsiveContainer width="100%" height="100%" initialDimension={INITIAL}>
        <BarChart data={points} margin={{ top: 4, right: 8, bottom: 0, left: -16 }} title="Failures" desc={summary}>
          <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" vertical={false} />
          <XAxis dataKey="label" {...axis} minTickGap={16} />
          <YAxis allowDecimals={false} {...axis} />
          <Tooltip cursor={{ fill: "#f1f5f9" }} />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <Bar dataKey="failed" name="Failed" stackId="f" fill={COLORS.failed} isAnimationActive={false} />
          <Bar dataKey="timed_out" name="Timed out" stackId="f" fill={COLORS.timedOut} isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
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
    <ChartCard
      id="durations"
      title="Durations"
      summary={summary}
      columns={["Interval", "Mean", "Longest"]}
      rows={points.map((p) => [p.label, formatDuration(p.avg), formatDuration(p.max)])}
    >
      <ResponsiveContainer width="100%" height="100%" initialDimension={INITIAL}>
        <LineChart data={points} margin={{ top: 4, right: 8, bottom: 0, left: 4 }} title="Durations" desc={summary}>
          <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
          <XAxis dataKey="label" {...axis} minTickGap={16} />
          <YAxis
            {...axis}
            ticks={ticks}
            domain={[0, ticks[ticks.length - 1]]}
            tickFormatter={(v: number) => formatDurationCompact(v)}
            width={60}
          />
          <Tooltip formatter={durationTooltip} />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          {typeof stats.p95_duration_ms === "number" && (
            <ReferenceLine
              y={stats.p95_duration_ms}
              stroke={COLORS.p95}
              strokeDasharray="4 4"
              label={{ value: "p95", position: "insideTopRight", fill: COLORS.p95, fontSize: 11 }}
            />
          )}
          <Line type="monotone" dataKey="avg" name="Mean" stroke={COLORS.avg} dot={DOT} connectNulls isAnimationActive={false} />
          <Line type="monotone" dataKey="max" name="Longest" stroke={COLORS.max} strokeDasharray="2 2" dot={DOT} connectNulls isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </ChartCard>
  );
}
