// The workflow list as a table. Columns that matter least drop out on narrow screens (tags
// then move under the name) so the list stays usable from 768px up.
import { Link } from "react-router";
import { StatusBadge } from "@/components/StatusBadge";
import { RelativeTime } from "@/components/Time";
import { TBody, TD, TH, THead, TRow, Table } from "@/components/ui/table";
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
    <Table caption="Workflows">
      <THead>
        <TH>Name</TH>
        <TH className="hidden lg:table-cell">Tags</TH>
        <TH className="hidden lg:table-cell">Version</TH>
        <TH>Last run</TH>
        <TH className="hidden xl:table-cell">Updated</TH>
        <TH className="w-12"><span className="sr-only">Actions</span></TH>
      </THead>
      <TBody>
        {items.map((w) => (
          <TRow key={w.id} className="align-top" data-testid={`workflow-row-${w.id}`}>
            <TD className="max-w-80 py-2.5">
              <Link
                to={`/workflows/${w.id}`}
                className="rounded font-medium text-indigo-700 hover:underline focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
              >
                {w.name}
              </Link>
              {w.description && <p className="mt-0.5 line-clamp-2 text-xs text-slate-600">{w.description}</p>}
              <TagList tags={w.tags ?? []} onTag={onTag} className="mt-1 lg:hidden" />
            </TD>
            <TD className="hidden py-2.5 lg:table-cell">
              <TagList tags={w.tags ?? []} onTag={onTag} />
            </TD>
            <TD className="hidden py-2.5 tabular-nums text-slate-700 lg:table-cell">v{w.latest_version}</TD>
            <TD className="py-2.5">
              <LastRun run={w.last_execution} />
            </TD>
            <TD className="hidden py-2.5 text-slate-600 xl:table-cell">
              <RelativeTime ms={w.updated_at} />
            </TD>
            <TD className="py-1.5 text-right">
              <WorkflowRowActions workflow={w} canEdit={canEdit} onDelete={onDelete} />
            </TD>
          </TRow>
        ))}
      </TBody>
    </Table>
  );
}
