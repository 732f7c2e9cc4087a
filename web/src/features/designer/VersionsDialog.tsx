// Version history: every saved version, and a visual diff between any two — the newer graph
// with added, changed and removed nodes highlighted in place (removed ones drawn as ghosts)
// — plus loading an old version back into the editor as an undoable change.
import { useMemo, useState } from "react";
import { History } from "lucide-react";
import type { NodeSpec, Workflow } from "@/api/types";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent } from "@/components/ui/dialog";
import { FormField } from "@/components/ui/form";
import { Select } from "@/components/ui/input";
import { EmptyState, Spinner } from "@/components/ui/misc";
import { toast } from "@/components/ui/toast";
import { errorText } from "@/features/auth/errors";
import { formatLocalDateTime } from "@/lib/format";
import { mergeForDiff, WorkflowCanvas, type WorkflowDiff } from "@/features/canvas";
import { useDiff, useVersions } from "./api";
import { useDesigner } from "./store";

/** Picks one of `versions`, listed in the order given. */
function VersionSelect({ id, label, versions, value, onChange }: { id: string; label: string; versions: Workflow[]; value: number; onChange: (v: number) => void }) {
  return (
    <FormField id={id} label={label} labelClassName="mb-1 block">
      <Select value={value} onChange={(e) => onChange(Number(e.target.value))} className="w-56">
        {versions.map((v) => (
          <option key={v.version} value={v.version}>
            v{v.version} · {formatLocalDateTime(v.created_at)}
          </option>
        ))}
      </Select>
    </FormField>
  );
}

function DiffSummary({ diff }: { diff: WorkflowDiff }) {
  const items: [string, number | string][] = [
    ["added", diff.added_nodes.length],
    ["removed", diff.removed_nodes.length],
    ["changed", diff.changed_nodes.length],
    ["moved", diff.moved_nodes.length],
    ["edges added", diff.added_edges.length],
    ["edges removed", diff.removed_edges.length],
  ];
  const none = items.every(([, n]) => n === 0) && diff.changed_fields.length === 0;
  return (
    <div className="text-sm text-slate-700" data-testid="diff-summary">
      {none ? (
        <p>No differences.</p>
      ) : (
        <ul className="flex flex-wrap gap-x-4 gap-y-1">
          {items
            .filter(([, n]) => n !== 0)
            .map(([label, n]) => (
              <li key={label}>
                <span className="font-semibold">{n}</span> {label}
              </li>
            ))}
          {diff.changed_fields.length > 0 && <li>workflow fields: {diff.changed_fields.join(", ")}</li>}
        </ul>
      )}
      {diff.changed_nodes.length > 0 && (
        <ul className="mt-1 text-xs text-slate-600">
          {diff.changed_nodes.map((c) => (
            <li key={c.id}>
              <span className="font-mono">{c.id}</span>: {(c.fields ?? []).join(", ")}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function VersionDiff({ workflowId, versions, specs }: { workflowId: string; versions: Workflow[]; specs: NodeSpec[] }) {
  const latest = versions[versions.length - 1].version;
  const [to, setTo] = useState(latest);
  const [from, setFrom] = useState(Math.max(1, latest - 1));
  const diff = useDiff(workflowId, from, to);
  const byVersion = useMemo(() => new Map(versions.map((v) => [v.version, v])), [versions]);
  const fromDef = byVersion.get(from)?.definition;
  const toDef = byVersion.get(to)?.definition;
  const merged = useMemo(
    () => (diff.data && fromDef && toDef ? mergeForDiff(fromDef, toDef, diff.data) : null),
    [diff.data, fromDef, toDef],
  );
  const options = [...versions].reverse();
  const restore = () => {
    if (!toDef) return;
    useDesigner.getState().replaceDefinition(toDef);
    toast.success(`Version ${to} loaded into the editor. Save to make it the latest; undo to go back.`);
  };

  return (
    <div className="flex flex-col gap-3">
      <div className="flex flex-wrap items-end gap-3">
        <VersionSelect id="diff-from" label="From" versions={options} value={from} onChange={setFrom} />
        <VersionSelect id="diff-to" label="To" versions={options} value={to} onChange={setTo} />
        <Button variant="secondary" onClick={restore} className="ml-auto">
          <History aria-hidden /> Load v{to} into the editor
        </Button>
      </div>
      {from === to ? (
        <p className="text-sm text-slate-600">Choose two different versions to compare.</p>
      ) : diff.isPending ? (
        <Spinner label="Comparing" />
      ) : diff.isError ? (
        <p role="alert" className="text-sm text-red-800">
          {errorText(diff.error)}
        </p>
      ) : (
        diff.data && <DiffSummary diff={diff.data} />
      )}
      <div className="h-[55vh] min-h-72 overflow-hidden rounded-md border border-slate-200 bg-slate-50">
        {merged ? (
          <WorkflowCanvas
            key={`${from}-${to}`}
            definition={merged.definition}
            specs={specs}
            highlight={merged.highlight}
            label={`Changes from version ${from} to ${to}`}
          />
        ) : (
          toDef && <WorkflowCanvas key={`v${to}`} definition={toDef} specs={specs} label={`Version ${to}`} />
        )}
      </div>
      <p className="text-xs text-slate-600">
        Highlighted: <span className="font-medium text-emerald-800">added</span>, <span className="font-medium text-amber-900">changed</span>,{" "}
        <span className="font-medium text-red-800">removed</span> (drawn faded). Loop bodies count as part of their loop.
      </p>
    </div>
  );
}

export function VersionsDialog({
  workflowId,
  specs,
  open,
  onOpenChange,
}: {
  workflowId: string;
  specs: NodeSpec[];
  open: boolean;
  onOpenChange: (o: boolean) => void;
}) {
  const versions = useVersions(workflowId, open);
  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent title="Version history" description="Every save is a version. Compare two to see what changed." className="w-[min(96vw,80rem)]">
        <div>
          {versions.isPending ? (
            <Spinner label="Loading versions" />
          ) : versions.isError ? (
            <p role="alert" className="text-sm text-red-800">
              {errorText(versions.error)}
            </p>
          ) : versions.data.length === 0 ? (
            <EmptyState>No versions yet.</EmptyState>
          ) : versions.data.length === 1 ? (
            <div className="flex flex-col gap-3">
              <p className="text-sm text-slate-700">Only version 1 exists so far: save a change to compare versions.</p>
              <div className="h-[55vh] min-h-72 overflow-hidden rounded-md border border-slate-200">
                <WorkflowCanvas definition={versions.data[0].definition} specs={specs} label="Version 1" />
              </div>
            </div>
          ) : (
            <VersionDiff workflowId={workflowId} versions={versions.data} specs={specs} />
          )}
        </div>
      </DialogContent>
    </Dialog>
  );
}
