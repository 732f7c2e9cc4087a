// Everything that happened to the execution, in order: each event's seq, when (clock time and
// time since the start), what, on which node, and the gist of its data. Long runs show a
// page of events at a time so a loop over thousands of items cannot stall the page.
import { useState } from "react";
import { Time } from "@/components/Time";
import { Button } from "@/components/ui/button";
import { TBody, TD, TH, THead, TRow, Table } from "@/components/ui/table";
import { formatClock, formatDateTime, formatDuration, formatOffset } from "@/lib/format";
import type { StreamEvent } from "./types";

const PAGE = 250;

/** One line about an event's data: the part worth reading without opening anything. */
export function eventSummary(e: StreamEvent): string {
  const d = e.data ?? {};
  const err = d.error as { kind?: string; message?: string } | undefined;
  switch (e.type) {
    case "execution_started":
      return `version ${String(d.version ?? "?")}${d.trigger ? `, trigger ${String(d.trigger)}` : ""}`;
    case "node_scheduled":
      return `attempt ${String(d.attempt ?? 1)}`;
    case "node_completed":
      return Array.isArray(d.ports) && d.ports.length ? `ports ${d.ports.join(", ")}` : "";
    case "node_attempt_failed":
      return `attempt ${String(d.attempt ?? "?")}: ${err?.kind ?? "error"} – ${err?.message ?? ""}`;
    case "timer_started":
      return typeof d.due_at === "number" ? `until ${formatDateTime(d.due_at)} (${formatDuration(d.due_at - e.at)})` : "";
    case "signal_awaited":
      return `signal "${String(d.name ?? "")}"${typeof d.timeout_at === "number" ? `, times out ${formatDateTime(d.timeout_at)}` : ""}`;
    case "signal_received":
      return `signal "${String(d.name ?? "")}"`;
    case "child_started":
      return `child ${String(d.child_id ?? "")}`;
    case "loop_started":
      return Array.isArray(d.items) ? `${d.items.length} items` : "";
    case "iteration_started":
    case "iteration_completed":
      return `iteration ${String(d.index ?? "?")}`;
    case "cancel_requested":
      return String(d.reason ?? "");
    case "execution_retried":
      return Array.isArray(d.nodes) ? `from ${d.nodes.join(", ")}` : "";
    case "log":
      return `${String(d.level ?? "info")}: ${String(d.message ?? "")}`;
    case "execution_finished":
      return `${String(d.status ?? "")}${err?.message ? ` – ${err.message}` : ""}`;
    default:
      return "";
  }
}

export function Timeline({
  events,
  nodeIds,
  onSelectNode,
}: {
  events: StreamEvent[];
  /** Ids that are on the canvas: their node cells select the node. */
  nodeIds: ReadonlySet<string>;
  onSelectNode: (id: string) => void;
}) {
  const [shown, setShown] = useState(PAGE);
  if (!events.length) return <p className="text-sm text-slate-600">No events yet.</p>;
  const start = events[0].at;
  const visible = events.slice(0, shown);
  return (
    <div>
      <Table caption="Execution events" size="sm">
        <THead>
          <TH>Seq</TH>
          <TH>Time</TH>
          <TH>Event</TH>
          <TH>Node</TH>
          <TH>Details</TH>
        </THead>
        <TBody>
          {visible.map((e) => {
            const path = e.node_id ?? undefined;
            const id = path?.split("/").pop();
            return (
              <TRow key={e.seq} hover={false} data-testid="timeline-event" className={e.type === "node_attempt_failed" ? "bg-red-50/60" : undefined}>
                <TD className="tabular-nums text-slate-500">{e.seq}</TD>
                <TD className="whitespace-nowrap tabular-nums text-slate-700">
                  <Time ms={e.at}>{formatClock(e.at)}</Time> <span className="text-slate-500">{formatOffset(e.at, start)}</span>
                </TD>
                <TD className="whitespace-nowrap font-medium text-slate-900">{e.type.replace(/_/g, " ")}</TD>
                <TD className="whitespace-nowrap font-mono">
                  {path && id && nodeIds.has(id) ? (
                    <button
                      type="button"
                      onClick={() => onSelectNode(id)}
                      className="rounded text-indigo-700 hover:underline focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
                      title={`Show node ${path}`}
                    >
                      {path}
                    </button>
                  ) : (
                    <span className="text-slate-700">{path ?? ""}</span>
                  )}
                </TD>
                <TD className="max-w-md truncate text-slate-700" title={eventSummary(e)}>
                  {eventSummary(e)}
                </TD>
              </TRow>
            );
          })}
        </TBody>
      </Table>
      {events.length > shown && (
        <div className="mt-2 flex items-center justify-center gap-3 text-sm text-slate-600">
          Showing {shown} of {events.length} events
          <Button variant="secondary" size="sm" onClick={() => setShown((n) => n + PAGE)}>
            Show more
          </Button>
        </div>
      )}
    </div>
  );
}
