// Executions as a table (the list page and the dashboard's recent runs): which run, of which
// workflow and version, how it stands, when it started and how long it took or has taken.
import { Link } from "react-router";
import { StatusBadge } from "@/components/StatusBadge";
import type { WorkflowSummary } from "@/api/types";
import { shortId } from "@/lib/format";
import { Duration, RelativeTime } from "./Time";
import type { ExecutionRecord } from "../types";

const cell = "px-3 py-2 align-middle";
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
    <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
      <table className="w-full text-left text-sm">
        <caption className="sr-only">{caption}</caption>
        <thead className="border-b border-slate-200 bg-slate-50 text-xs uppercase tracking-wide text-slate-600">
          <tr>
            <th scope="col" className={cell}>Execution</th>
            <th scope="col" className={cell}>Workflow</th>
            <th scope="col" className={cell}>Version</th>
            <th scope="col" className={cell}>Status</th>
            <th scope="col" className={cell}>Started</th>
            <th scope="col" className={cell}>Duration</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {items.map((e) => {
            const wf = workflows?.get(e.workflow_id);
            return (
              <tr key={e.id} data-testid={`execution-row-${e.id}`} className="hover:bg-slate-50">
                <td className={cell}>
                  <Link to={`/executions/${e.id}`} className={`${link} font-mono`} title={e.id} aria-label={`Execution ${shortId(e.id)}`}>
                    {shortId(e.id)}
                  </Link>
                </td>
                <td className={`${cell} max-w-64 truncate`}>
                  <Link to={`/workflows/${e.workflow_id}`} className="rounded text-slate-800 hover:underline focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500">
                    {wf?.name ?? <span className="font-mono text-xs">{e.workflow_id}</span>}
                  </Link>
                </td>
                <td className={`${cell} text-slate-700`}>v{e.version}</td>
                <td className={cell}>
                  <StatusBadge status={e.status} />
                </td>
                <td className={`${cell} whitespace-nowrap text-slate-700`}>
                  <RelativeTime ms={e.created_at} />
                </td>
                <td className={`${cell} whitespace-nowrap tabular-nums text-slate-700`}>
                  {e.status === "queued" ? "—" : <Duration start={e.created_at} end={e.finished_at} />}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
