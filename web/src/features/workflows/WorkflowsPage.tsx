// The workflow list (/workflows): find a workflow by name or tag, see how it last ran, and
// create, duplicate, import, export or delete one. Viewers and operators get it read-only.
import { useCallback, useMemo, useState } from "react";
import { useSearchParams } from "react-router";
import { FileUp, Plus } from "lucide-react";
import { ErrorNotice } from "@/components/ErrorNotice";
import { LoadMore } from "@/components/LoadMore";
import { Button } from "@/components/ui/button";
import { EmptyState, PageHeader, Spinner } from "@/components/ui/misc";
import { useRole } from "@/features/auth/roles";
import { useWorkflowList, type WorkflowListItem } from "./api";
import { WorkflowsToolbar } from "./WorkflowsToolbar";
import { WorkflowsTable } from "./WorkflowsTable";
import { CreateWorkflowDialog } from "./CreateWorkflowDialog";
import { ImportWorkflowDialog } from "./ImportWorkflowDialog";
import { DeleteWorkflowDialog } from "./DeleteWorkflowDialog";

type Dialog = "create" | "import" | null;

export function WorkflowsPage() {
  const [params, setParams] = useSearchParams();
  const q = params.get("q") ?? "";
  const tag = params.get("tag") ?? "";
  const { can } = useRole();
  const canEdit = can("editor");
  const list = useWorkflowList({ q, tag });
  const [dialog, setDialog] = useState<Dialog>(null);
  const [deleting, setDeleting] = useState<WorkflowListItem | null>(null);

  const setFilter = useCallback(
    (patch: { q?: string; tag?: string }) =>
      setParams(
        (prev) => {
          const next = new URLSearchParams(prev);
          for (const [k, v] of Object.entries(patch)) {
            if (v) next.set(k, v);
            else next.delete(k);
          }
          return next;
        },
        // Typing should not fill the history with one entry per pause.
        { replace: true },
      ),
    [setParams],
  );

  const items = useMemo(() => list.data?.pages.flatMap((p) => p.items) ?? [], [list.data]);
  const tags = useMemo(() => [...new Set(items.flatMap((w) => w.tags ?? []))].sort(), [items]);
  const filtered = !!(q || tag);

  const actions = canEdit && (
    <>
      <Button variant="secondary" onClick={() => setDialog("import")}>
        <FileUp aria-hidden /> Import
      </Button>
      <Button onClick={() => setDialog("create")}>
        <Plus aria-hidden /> Create workflow
      </Button>
    </>
  );

  return (
    <>
      <PageHeader title="Workflows">{actions}</PageHeader>
      <WorkflowsToolbar q={q} tag={tag} tags={tags} onChange={setFilter} />

      {list.isPending ? (
        <Spinner label="Loading workflows" />
      ) : !list.data ? (
        <ErrorNotice what="workflows" error={list.error} onRetry={() => void list.refetch()} className="p-4" />
      ) : items.length === 0 ? (
        filtered ? (
          <EmptyState>
            <p>No workflows match {q && <>“{q}”</>}{q && tag && " and "}{tag && <>the tag “{tag}”</>}.</p>
            <Button variant="secondary" size="sm" className="mt-3" onClick={() => setFilter({ q: "", tag: "" })}>
              Clear filters
            </Button>
          </EmptyState>
        ) : (
          <EmptyState>
            <p className="font-medium text-slate-800">No workflows yet</p>
            {canEdit ? (
              <>
                <p className="mt-1">Create one from scratch, or import a Weft JSON or YAML file.</p>
                <div className="mt-3 flex justify-center gap-2">{actions}</div>
              </>
            ) : (
              <p className="mt-1">Workflows that editors create will show up here.</p>
            )}
          </EmptyState>
        )
      ) : (
        <>
          <WorkflowsTable items={items} canEdit={canEdit} onTag={(t) => setFilter({ tag: t })} onDelete={setDeleting} />
          <LoadMore query={list} />
        </>
      )}

      <CreateWorkflowDialog open={dialog === "create"} onOpenChange={(o) => setDialog(o ? "create" : null)} />
      <ImportWorkflowDialog open={dialog === "import"} onOpenChange={(o) => setDialog(o ? "import" : null)} />
      <DeleteWorkflowDialog workflow={deleting} onClose={() => setDeleting(null)} />
    </>
  );
}
