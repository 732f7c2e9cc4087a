// The workflow list as a table. Columns that matter least drop out on narrow screens (tags
// then move under the name) so the list stays usable from 768px up.
import { Link } from "react-router";
import { StatusBadge } from "@/components/StatusBadge";
import { RelativeTime } from "./time";
import { WorkflowRowActions } from "./WorkflowRowActions";
import type { WorkflowListItem } from "./api";

function TagList({ tags, onTag, className }: { tags: string[]; onTag: (t: string) => void; className?: string }) {
  if (!tags.length) return null;
  return (
    <ul className={className} aria-label="Tags">
      {tags.map((t) => (
        <li key={t} className="inline">
          <button
            type="button"
            onClick={() => onTag(t)}
            title={`Show workflows tagged ${t}`}
            className="mr-1 mb-1 inline-flex rounded-full border border-slate-300 bg-slate-50 px-2 py-0.5 text-xs text-slate-700 hover:bg-slate-100 focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
          >
            {t}
          </button>
        </li>
      ))}
    </ul>
  );
}

function LastRun({ run }: { run: WorkflowListItem["last_execution"] }) {
  if (!run) return <span className="text-sm text-slate-500">Never run</span>;
  return (
    <Link
      to={`/executions/${run.id}`}
      className="inline-flex items-center gap-2 rounded text-sm text-slate-700 hover:underline focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
      aria-label={`Last run ${run.status.replace("_", " ")}, open execution`}
    >
      <StatusBadge status={run.status} />
      <RelativeTime ms={run.created_at} />
    </Link>
  );
}

export function WorkflowsTable({
  items,
  canEdit,
  onTag,
  onDelete,
}: {
  items: WorkflowListItem[];
  canEdit: boolean;
  onTag: (tag: string) => void;
  onDelete: (w: WorkflowListItem) => void;
}) {
  return (
    <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
      <table className="w-full text-left text-sm">
        <caption className="sr-only">Workflows</caption>
        <thead className="border-b border-slate-200 bg-slate-50 text-xs uppercase tracking-wide text-slate-600">
          <tr>
            <th scope="col" className="px-3 py-2 font-medium">Name</th>
            <th scope="col" className="hidden px-3 py-2 font-medium lg:table-cell">Tags</th>
            <th scope="col" className="hidden px-3 py-2 font-medium lg:table-cell">Version</th>
            <th scope="col" className="px-3 py-2 font-medium">Last run</th>
            <th scope="col" className="hidden px-3 py-2 font-medium xl:table-cell">Updated</th>
            <th scope="col" className="w-12 px-3 py-2 font-medium"><span className="sr-only">Actions</span></th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {items.map((w) => (
            <tr key={w.id} className="align-top hover:bg-slate-50" data-testid={`workflow-row-${w.id}`}>
              <td className="max-w-80 px-3 py-2.5">
                <Link
                  to={`/workflows/${w.id}`}
                  className="rounded font-medium text-indigo-700 hover:underline focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
                >
                  {w.name}
                </Link>
                {w.description && <p className="mt-0.5 line-clamp-2 text-xs text-slate-600">{w.description}</p>}
                <TagList tags={w.tags ?? []} onTag={onTag} className="mt-1 lg:hidden" />
              </td>
              <td className="hidden px-3 py-2.5 lg:table-cell">
                <TagList tags={w.tags ?? []} onTag={onTag} />
              </td>
              <td className="hidden px-3 py-2.5 tabular-nums text-slate-700 lg:table-cell">v{w.latest_version}</td>
              <td className="px-3 py-2.5">
                <LastRun run={w.last_execution} />
              </td>
              <td className="hidden px-3 py-2.5 text-slate-600 xl:table-cell">
                <RelativeTime ms={w.updated_at} />
              </td>
              <td className="px-3 py-1.5 text-right">
                <WorkflowRowActions workflow={w} canEdit={canEdit} onDelete={onDelete} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
