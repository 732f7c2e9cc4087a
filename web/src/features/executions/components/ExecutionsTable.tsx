// Executions as a table (the list page and the dashboard's recent runs): which run, of which
// workflow and version, how it stands, when it started and how long it took or has taken.
import { Link } from "react-router";
import { StatusBadge } from "@/components/StatusBadge";
import { Duration, RelativeTime } from "@/components/Time";
import { TBody, TD, TH, THead, TRow, Table } from "@/components/ui/table";
import type { WorkflowSummary } from "@/api/types";
import { shortId } from "@/lib/format";
import type { ExecutionRecord } from "../types";

const link =
  "rounded text-indigo-700 hover:underline focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500";

export function ExecutionsTable({
  items,
  workflows,
  caption,
}: {
  items: ExecutionRecord[];
  workflows?: Map<string, WorkflowSummary>;
  /** Names the table for screen readers. */
  caption: string;
}) {
  return (
    <Table caption={caption}>
      <THead>
        <TH>Execution</TH>
        <TH>Workflow</TH>
        <TH>Version</TH>
        <TH>Status</TH>
        <TH>Started</TH>
        <TH>Duration</TH>
      </THead>
      <TBody>
        {items.map((e) => {
          const wf = workflows?.get(e.workflow_id);
          return (
            <TRow key={e.id} data-testid={`execution-row-${e.id}`}>
              <TD>
                <Link to={`/executions/${e.id}`} className={`${link} font-mono`} title={e.id} aria-label={`Execution ${shortId(e.id)}`}>
                  {shortId(e.id)}
                </Link>
              </TD>
              <TD className="max-w-64 truncate">
                <Link to={`/workflows/${e.workflow_id}`} className="rounded text-slate-800 hover:underline focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500">
                  {wf?.name ?? <span className="font-mono text-xs">{e.workflow_id}</span>}
                </Link>
              </TD>
              <TD className="text-slate-700">v{e.version}</TD>
              <TD>
                <StatusBadge status={e.status} />
              </TD>
              <TD className="whitespace-nowrap text-slate-700">
                <RelativeTime ms={e.created_at} />
              </TD>
              <TD className="whitespace-nowrap tabular-nums text-slate-700">
                {e.status === "queued" ? "—" : <Duration start={e.created_at} end={e.finished_at} />}
              </TD>
            </TRow>
          );
        })}
      </TBody>
    </Table>
  );
}
