// The dashboard's latest activity: the ten newest executions, and the newest failures with
// why they failed, each a link to the execution. Refreshed with the rest of the dashboard.
import type { ReactNode } from "react";
import { Link } from "react-router";
import { ErrorNotice } from "@/components/ErrorNotice";
import { RelativeTime } from "@/components/Time";
import { EmptyState, Spinner } from "@/components/ui/misc";
import { ExecutionsTable } from "@/features/executions/components/ExecutionsTable";
import { useExecutionList, useWorkflowIndex, type ExecutionFilter, type TimeRange } from "@/features/executions/queries";
import type { ExecutionRecord } from "@/features/executions/types";
import type { WorkflowSummary } from "@/api/types";
import { shortId } from "@/lib/format";
import { REFRESH_MS } from "./queries";

/**
 * One panel of runs: a heading with a link to the full list, then the newest `limit` runs
 * matching `filter` (or why they could not be loaded, or that there are none).
 */
function RunsPanel({
  id,
  title,
  what,
  link,
  linkText,
  filter,
  limit,
  empty,
  children,
}: {
  id: string;
  title: string;
  /** "Could not load <what>", "Loading <what>". */
  what: string;
  link: string;
  linkText: string;
  filter: ExecutionFilter;
  limit: number;
  empty: string;
  children: (items: ExecutionRecord[], workflows: Map<string, WorkflowSummary> | undefined) => ReactNode;
}) {
  const list = useExecutionList(filter, { limit, poll: REFRESH_MS });
  const workflows = useWorkflowIndex();
  const items = list.data?.pages[0]?.items ?? [];
  return (
    <section aria-labelledby={id} className="min-w-0">
      <div className="mb-2 flex items-baseline justify-between">
        <h2 id={id} className="text-sm font-semibold text-slate-900">
          {title}
        </h2>
        <Link to={link} className="rounded text-sm text-indigo-700 hover:underline focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500">
          {linkText}
        </Link>
      </div>
      {list.isPending ? (
        <Spinner label={`Loading ${what}`} />
      ) : !list.data ? (
        <ErrorNotice what={`recent ${what}`} error={list.error} onRetry={() => void list.refetch()} />
      ) : items.length === 0 ? (
        <EmptyState className="p-6">{empty}</EmptyState>
      ) : (
        children(items, workflows.data?.byId)
      )}
    </section>
  );
}

export function RecentExecutions() {
  return (
    <RunsPanel
      id="recent-executions"
      title="Recent executions"
      what="executions"
      link="/executions"
      linkText="All executions"
      filter={{}}
      limit={10}
      empty="No executions yet."
    >
      {(items, workflows) => <ExecutionsTable items={items} workflows={workflows} caption="Recent executions" />}
    </RunsPanel>
  );
}

export function RecentFailures({ range }: { range: TimeRange }) {
  return (
    <RunsPanel
      id="recent-failures"
      title="Recent failures"
      what="failures"
      link={`/executions?status=failed&range=${range}`}
      linkText="All failures"
      filter={{ status: "failed", range }}
      limit={5}
      empty="No failures in this range."
    >
      {(items, workflows) => (
        <ul className="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white">
          {items.map((e) => (
            <li key={e.id} data-testid={`failure-${e.id}`}>
              <Link
                to={`/executions/${e.id}`}
                className="block px-3 py-2 hover:bg-slate-50 focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-inset focus-visible:ring-indigo-500"
              >
                <span className="flex items-baseline justify-between gap-2">
                  <span className="truncate text-sm font-medium text-slate-900">
                    {workflows?.get(e.workflow_id)?.name ?? "Workflow"}{" "}
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
    </RunsPanel>
  );
}
