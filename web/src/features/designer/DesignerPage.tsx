// The workflow designer (/workflows/:id), full-window: palette on the left, the editable
// canvas with its problems list in the middle, the selected node's settings on the right.
// It loads the latest version into the designer store once per visit, offers back an
// unsaved draft, validates as the person edits, and saves, runs and compares versions.
import { useCallback, useEffect, useMemo, useState } from "react";
import { Link, useParams } from "react-router";
import { ReactFlowProvider, useReactFlow } from "@xyflow/react";
import { ArrowLeft } from "lucide-react";
import { useNodeCatalog, useWorkflow } from "@/api/queries";
import type { NodeSpec, Workflow } from "@/api/types";
import { Button } from "@/components/ui/button";
import { Spinner } from "@/components/ui/misc";
import { toast } from "@/components/ui/toast";
import { errorText } from "@/features/auth/errors";
import { useRole } from "@/features/auth/roles";
import { cn } from "@/lib/cn";
import { ConfigPanel } from "./ConfigPanel";
import { ConflictDialog } from "./ConflictDialog";
import { DesignerHeader, type HeaderActions } from "./DesignerHeader";
import { DraftBanner } from "./DraftBanner";
import { clearDrafts, readDraft, startDraftAutosave, type Draft } from "./drafts";
import { EditorCanvas } from "./EditorCanvas";
import { exportPng } from "./exportPng";
import { Palette } from "./Palette";
import { ProblemsPanel } from "./ProblemsPanel";
import { RunDialog } from "./RunDialog";
import { sameValue } from "./schema-form/schema";
import { ShortcutsDialog } from "./ShortcutsDialog";
import { useShortcuts, type ShortcutAction } from "./shortcuts";
import { useDesigner } from "./store";
import { CANVAS_SELECTOR } from "./useAddNode";
import { useSave } from "./useSave";
import { useLiveValidation } from "./useValidation";
import { VersionsDialog } from "./VersionsDialog";

const FIT = { padding: 0.15, maxZoom: 1.25, duration: 200 };

type DialogName = "run" | "shortcuts" | "versions" | null;

function FullPage({ children }: { children: React.ReactNode }) {
  return <div className="grid h-full place-items-center p-6">{children}</div>;
}

export function DesignerPage() {
  const { id = "" } = useParams();
  const workflow = useWorkflow(id);
  const catalog = useNodeCatalog();
  if (workflow.isPending || catalog.isPending) {
    return (
      <FullPage>
        <Spinner label="Loading the workflow" />
      </FullPage>
    );
  }
  if (workflow.isError || catalog.isError) {
    return (
      <FullPage>
        <div className="max-w-md space-y-3 text-center">
          <h1 className="text-lg font-semibold text-slate-900">The workflow could not be opened</h1>
          <p role="alert" className="text-sm text-red-800">
            {errorText(workflow.error ?? catalog.error)}
          </p>
          <Button variant="secondary" asChild>
            <Link to="/workflows">
              <ArrowLeft aria-hidden /> Back to workflows
            </Link>
          </Button>
        </div>
      </FullPage>
    );
  }
  return (
    <ReactFlowProvider>
      <Designer key={id} workflow={workflow.data} specs={catalog.data} />
    </ReactFlowProvider>
  );
}

function Designer({ workflow, specs }: { workflow: Workflow; specs: NodeSpec[] }) {
  const workflowId = workflow.id;
  const { role, can } = useRole();
  // Until the role is known, offer editing: the gateway enforces it either way.
  const canEdit = !role || can("editor");
  const canRun = !role || can("operator");
  const rf = useReactFlow();

  // Load once per visit: refetches after a save must not replace the edit in progress.
  const [initial] = useState(() => ({ workflow, specs }));
  useEffect(() => {
    const { workflow: w, specs: s } = initial;
    useDesigner.getState().load({ workflowId: w.id, version: w.version, definition: w.definition, specs: s });
    const stop = startDraftAutosave(useDesigner);
    return () => {
      stop();
      useDesigner.getState().reset();
    };
  }, [initial]);
  const ready = useDesigner((s) => s.workflowId === workflowId);
  const baseVersion = useDesigner((s) => s.baseVersion);

  const [draft, setDraft] = useState<Draft | null>(() => {
    const d = readDraft(workflowId);
    return d && !sameValue(d.definition, workflow.definition) ? d : null;
  });
  const restoreDraft = () => {
    if (!draft) return;
    useDesigner.getState().load({ workflowId, version: draft.baseVersion, definition: draft.definition, specs, dirty: true });
    setDraft(null);
    requestAnimationFrame(() => void rf.fitView(FIT));
  };
  const discardDraft = () => {
    clearDrafts(workflowId);
    setDraft(null);
  };

  const validation = useLiveValidation(ready && canEdit);
  const { save, reload, conflict, setConflict, pending } = useSave(workflowId, specs);
  const [dialog, setDialog] = useState<DialogName>(null);
  const [problemsOpen, setProblemsOpen] = useState(false);
  const [paletteOpen, setPaletteOpen] = useState(false);
  const [configOpen, setConfigOpen] = useState(false);

  const fitView = useCallback(() => void rf.fitView(FIT), [rf]);
  const autoLayout = useCallback(() => {
    useDesigner.getState().autoLayout();
    requestAnimationFrame(() => void rf.fitView(FIT));
  }, [rf]);
  const exportImage = useCallback(async () => {
    const container = document.querySelector<HTMLElement>(CANVAS_SELECTOR);
    if (!container) return;
    try {
      await exportPng(container, rf.getNodesBounds(rf.getNodes()), useDesigner.getState().meta.name);
    } catch (e) {
      toast.error(`Export failed: ${errorText(e)}`);
    }
  }, [rf]);

  const shortcutHandlers = useMemo<Partial<Record<ShortcutAction, () => void>>>(() => {
    const d = () => useDesigner.getState();
    const view = { fitView, help: () => setDialog("shortcuts") };
    if (!canEdit) return view;
    return {
      ...view,
      undo: () => d().undo(),
      redo: () => d().redo(),
      copy: () => {
        // Text selected on the page is what Ctrl+C means then, not the nodes.
        if (!window.getSelection()?.isCollapsed) return;
        const n = d().copySelection();
        if (n) toast.info(`Copied ${n} node${n === 1 ? "" : "s"}.`);
      },
      paste: () => void d().paste(),
      delete: () => void d().deleteSelection(),
      save: () => void save(),
      selectAll: () => d().selectAll(),
      autoLayout,
    };
  }, [autoLayout, canEdit, fitView, save]);
  useShortcuts(shortcutHandlers, ready && dialog === null && !conflict);

  const actions: HeaderActions = {
    onSave: () => void save(),
    onRun: () => setDialog("run"),
    onFitView: fitView,
    onAutoLayout: autoLayout,
    onExport: () => void exportImage(),
    onShortcuts: () => setDialog("shortcuts"),
    onVersions: () => setDialog("versions"),
    onTogglePalette: () => setPaletteOpen((o) => !o),
    onToggleConfig: () => setConfigOpen((o) => !o),
  };

  if (!ready) {
    return (
      <FullPage>
        <Spinner label="Opening the designer" />
      </FullPage>
    );
  }

  return (
    <div className="flex h-full flex-col bg-slate-50">
      <DesignerHeader actions={actions} saving={pending} canEdit={canEdit} canRun={canRun} paletteOpen={paletteOpen} configOpen={configOpen} />
      {draft && canEdit && (
        <DraftBanner draft={draft} latestVersion={workflow.version} onRestore={restoreDraft} onDiscard={discardDraft} />
      )}
      {!canEdit && (
        <p className="border-b border-slate-200 bg-slate-100 px-3 py-1.5 text-sm text-slate-700">
          Read-only: your role can view this workflow but not change it.
        </p>
      )}
      <div className="relative flex min-h-0 flex-1">
        {canEdit && (
          <aside
            aria-label="Nodes"
            className={cn(
              "absolute inset-y-0 left-0 z-10 w-64 border-r border-slate-200 bg-white shadow-lg lg:static lg:block lg:w-60 lg:shadow-none",
              paletteOpen ? "block" : "hidden",
            )}
          >
            <Palette specs={specs} />
          </aside>
        )}
        <main className="flex min-w-0 flex-1 flex-col" aria-label="Canvas">
          <div className="min-h-0 flex-1">
            <EditorCanvas readOnly={!canEdit} />
          </div>
          <ProblemsPanel open={problemsOpen} onOpenChange={setProblemsOpen} state={validation} />
        </main>
        <aside
          aria-label="Node settings"
          className={cn(
            "absolute inset-y-0 right-0 z-10 w-80 overflow-y-auto border-l border-slate-200 bg-white shadow-lg lg:static lg:block lg:shadow-none",
            configOpen ? "block" : "hidden",
          )}
        >
          {/* A read-only role sees the settings but cannot change them. */}
          <fieldset disabled={!canEdit} className="contents">
            <ConfigPanel canTest={canEdit} />
          </fieldset>
        </aside>
      </div>

      <RunDialog workflowId={workflowId} open={dialog === "run"} onOpenChange={(o) => setDialog(o ? "run" : null)} save={() => save()} />
      <ShortcutsDialog open={dialog === "shortcuts"} onOpenChange={(o) => setDialog(o ? "shortcuts" : null)} />
      {dialog === "versions" && (
        <VersionsDialog workflowId={workflowId} specs={specs} open onOpenChange={(o) => setDialog(o ? "versions" : null)} />
      )}
      <ConflictDialog
        open={conflict}
        onOpenChange={setConflict}
        baseVersion={baseVersion}
        onReload={() => void reload()}
        onOverwrite={() => void save(true)}
        pending={pending}
      />
    </div>
  );
}
