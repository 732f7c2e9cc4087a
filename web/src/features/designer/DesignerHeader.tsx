// The designer's own header (it runs full-window, outside the app layout): back to the
// list, the workflow's name (editable), save state, and the editing and run actions.
import type { ReactNode } from "react";
import { Link } from "react-router";
import {
  ArrowLeft,
  Grid3x3,
  History,
  ImageDown,
  Keyboard,
  Maximize,
  Network,
  PanelLeft,
  PanelRight,
  Play,
  Redo2,
  Save,
  Undo2,
} from "lucide-react";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { cn } from "@/lib/cn";
import { useDesigner } from "./store";

function IconButton({ label, onClick, disabled, pressed, children }: { label: string; onClick: () => void; disabled?: boolean; pressed?: boolean; children: ReactNode }) {
  return (
    <Button
      variant="ghost"
      size="icon"
      aria-label={label}
      title={label}
      aria-pressed={pressed}
      onClick={onClick}
      disabled={disabled}
      className={cn(pressed && "bg-indigo-50 text-indigo-800")}
    >
      {children}
    </Button>
  );
}

export interface HeaderActions {
  onSave: () => void;
  onRun: () => void;
  onFitView: () => void;
  onAutoLayout: () => void;
  onExport: () => void;
  onShortcuts: () => void;
  onVersions: () => void;
  onTogglePalette: () => void;
  onToggleConfig: () => void;
}

export function DesignerHeader({
  actions,
  saving,
  canEdit,
  canRun,
  paletteOpen,
  configOpen,
}: {
  actions: HeaderActions;
  saving: boolean;
  canEdit: boolean;
  canRun: boolean;
  paletteOpen: boolean;
  configOpen: boolean;
}) {
  const name = useDesigner((s) => s.meta.name);
  const version = useDesigner((s) => s.baseVersion);
  const dirty = useDesigner((s) => s.dirty);
  const canUndo = useDesigner((s) => s.past.length > 0);
  const canRedo = useDesigner((s) => s.future.length > 0);
  const snap = useDesigner((s) => s.snapToGrid);

  return (
    <header className="flex flex-wrap items-center gap-x-2 gap-y-1 border-b border-slate-200 bg-white px-2 py-1.5">
      <Button variant="ghost" size="sm" asChild>
        <Link to="/workflows" aria-label="Back to workflows">
          <ArrowLeft aria-hidden />
          <span className="hidden xl:inline">Workflows</span>
        </Link>
      </Button>
      {/* Wide enough that the toolbar wraps to a second row on narrow screens rather than overlapping. */}
      <div className="flex min-w-[17rem] flex-1 items-center gap-2">
        <Input
          aria-label="Workflow name"
          value={name}
          readOnly={!canEdit}
          onChange={(e) => useDesigner.getState().setMeta({ name: e.target.value }, "meta:name")}
          className="h-8 min-w-32 max-w-72 flex-1 border-transparent font-semibold hover:border-slate-300 focus-visible:border-slate-300"
        />
        <span className="shrink-0 rounded-full border border-slate-300 px-2 py-0.5 text-xs text-slate-700" title="The saved version this edit started from">
          v{version}
        </span>
        <span className="shrink-0 text-xs" role="status" data-testid="save-state">
          {dirty ? <span className="font-medium text-amber-800">Unsaved changes</span> : <span className="text-slate-600">Saved</span>}
        </span>
      </div>
      <div className="flex flex-wrap items-center gap-0.5" role="toolbar" aria-label="Designer actions">
        <span className="lg:hidden">
          <IconButton label="Node palette" onClick={actions.onTogglePalette} pressed={paletteOpen}>
            <PanelLeft aria-hidden />
          </IconButton>
        </span>
        {canEdit && (
          <>
            <IconButton label="Undo" onClick={() => useDesigner.getState().undo()} disabled={!canUndo}>
              <Undo2 aria-hidden />
            </IconButton>
            <IconButton label="Redo" onClick={() => useDesigner.getState().redo()} disabled={!canRedo}>
              <Redo2 aria-hidden />
            </IconButton>
            <IconButton label="Auto layout" onClick={actions.onAutoLayout}>
              <Network aria-hidden />
            </IconButton>
          </>
        )}
        <IconButton label="Fit view" onClick={actions.onFitView}>
          <Maximize aria-hidden />
        </IconButton>
        <IconButton label="Snap to grid" onClick={() => useDesigner.getState().toggleSnap()} pressed={snap}>
          <Grid3x3 aria-hidden />
        </IconButton>
        <IconButton label="Export PNG" onClick={actions.onExport}>
          <ImageDown aria-hidden />
        </IconButton>
        <IconButton label="Keyboard shortcuts" onClick={actions.onShortcuts}>
          <Keyboard aria-hidden />
        </IconButton>
        <IconButton label="Versions" onClick={actions.onVersions}>
          <History aria-hidden />
        </IconButton>
        <span className="lg:hidden">
          <IconButton label="Node settings" onClick={actions.onToggleConfig} pressed={configOpen}>
            <PanelRight aria-hidden />
          </IconButton>
        </span>
        <span className="mx-1 h-6 w-px bg-slate-200" aria-hidden />
        <Button
          variant="secondary"
          size="sm"
          onClick={actions.onSave}
          disabled={!canEdit || saving}
          aria-busy={saving || undefined}
          title={canEdit ? "Save as a new version (Ctrl+S)" : "Only editors can save"}
        >
          <Save aria-hidden className={cn(saving && "animate-pulse")} /> Save
        </Button>
        <Button size="sm" onClick={actions.onRun} disabled={!canRun} title={canRun ? "Run this workflow" : "Only operators can run workflows"}>
          <Play aria-hidden /> Run
        </Button>
      </div>
    </header>
  );
}
