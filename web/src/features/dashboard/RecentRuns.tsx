// The dashboard's latest activity: the ten newest executions, and the newest failures with
// why they failed, each a link to the execution. Refreshed with the rest of the dashboard.
import { Link } from "react-router";
import { Spinner } from "@/components/ui/misc";
import { ExecutionsTable } from "@/features/executions/components/ExecutionsTable";
import { ErrorNotice } from "@/features/executions/components/ErrorNotice";
import { RelativeTime } from "@/features/executions/components/Time";
import { useExecutionList, useWorkflowIndex, type TimeRange } from "@/features/executions/queries";
import { shortId } from "@/lib/format";
import { REFRESH_MS } from "./queries";

export function RecentExecutions() {
  const list = useExecutionList({}, { limit: 10, poll: REFRESH_MS });
  const workflows = useWorkflowIndex();
  const items = list.data?.pages[0]?.items ?? [];
  return (
    <section aria-labelledby="recent-executions" className="min-w-0">
      <div className="mb-2 flex items-baseline justify-between">
        <h2 id="recent-executions" className="text-sm font-semibold text-slate-900">
          Recent executions
        </h2>
        <Link to="/executions" className="rounded text-sm text-indigo-700 hover:underline focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500">
          All executions
        </Link>
      </div>
      {list.isPending ? (
        <Spinner label="Loading executions" />
      ) : !list.data ? (
        <ErrorNotice what="recent executions" error={list.error} onRetry={() => void list.refetch()} />
      ) : items.length === 0 ? (
        <p className="rounded-lg border border-dashed border-slate-300 p-6 text-center text-sm text-slate-600">No executions yet.</p>
      ) : (
        <ExecutionsTable items={items} workflows={workflows.data?.byId} caption="Recent executions" />
      )}
    </section>
  );
}

export function RecentFailures({ range }: { range: TimeRange }) {
  const list = useExecutionList({ status: "failed", range }, { limit: 5, poll: REFRESH_MS });
  const workflows = useWorkflowIndex();
  const items = list.data?.pages[0]?.items ?? [];
  return (
    <section aria-labelledby="recent-failures" className="min-w-0">
      <div className="mb-2 flex items-baseline justify-between">
        <h2 id="recent-failures" className="text-sm font-semibold text-slate-900">
          Recent failures
        </h2>
        <Link
          to={`/executions?status=failed&range=${range}`}
          className="rounded text-sm text-indigo-700 hover:underline focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
        >
          All failures
        </Link>
      </div>
      {list.isPending ? (
        <Spinner label="Loading failures" />
      ) : !list.data ? (
        <ErrorNotice what="recent failures" error={list.error} onRetry={() => void list.refetch()} />
      ) : items.length === 0 ? (
        <p className="rounded-lg border border-dashed border-slate-300 p-6 text-center text-sm text-slate-600">No failures in this range.</p>
      ) : (
        <ul className="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white">
          {items.map((e) => (
            <li key={e.id} data-testid={`failure-${e.id}`}>
              <Link
                to={`/executions/${e.id}`}
                className="block px-3 py-2 hover:bg-slate-50 focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-inset focus-visible:ring-indigo-500"
              >
                <span className="flex items-baseline justify-between gap-2">
                  <span className="truncate text-sm font-medium text-slate-900">
                    {workflows.data?.byId.get(e.workflow_id)?.name ?? "Workflow"}{" "}
                    <span className="font-mono text-xs font-normal text-slate-600">{shortId(e.id)}</span>
                  </span>
                  <RelativeTime ms={e.created_at} className="shrink-0 text-xs text-slate-600" />
                </span>
                <span className="mt-0.5 block truncate text-xs text-red-800">
                  {e.error ? `${e.error.node ? `${e.error.node}: ` : ""}${e.error.message}` : "Failed"}
                </span>
              </Link>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
