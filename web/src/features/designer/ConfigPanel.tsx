// The panel on the right: the selected node's id, name, parameters (a form generated from
// its type's JSON Schema), error handling, timeout, retry and notes, with the validator's
// messages under the fields at fault. With nothing selected it edits the workflow itself.
import { useCallback, useMemo, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { useShallow } from "zustand/react/shallow";
import { Trash2, TriangleAlert } from "lucide-react";
import type { NodeDef } from "@/api/types";
import { Button } from "@/components/ui/button";
import { FormField } from "@/components/ui/form";
import { Input, Label, Textarea } from "@/components/ui/input";
import { accentFor, isLoopType, NodeTypeIcon } from "@/features/canvas";
import { useCredentials } from "@/features/admin/api";
import { errorText } from "@/features/auth/errors";
import { useRole } from "@/features/auth/roles";
import { parseTags } from "@/features/workflows/api";
import { Help, Messages } from "./schema-form/Help";
import { SchemaForm } from "./schema-form/SchemaForm";
import { SchemaFormContext, type SchemaFormContextValue, type TestOutcome } from "./schema-form/context";
import { cn } from "@/lib/cn";
import { formatLocalDateTime } from "@/lib/format";
import { evaluateExpression, lastRunQuery, testContext } from "./api";
import { nodeSettingsSchema } from "./nodeSettings";
import { fieldMessages } from "./pointers";
import { useDesigner } from "./store";

export function ConfigPanel({ canTest }: { canTest: boolean }) {
  const selected = useDesigner(useShallow((s) => s.nodes.filter((n) => n.selected).map((n) => n.id)));
  if (selected.length === 1) return <NodeConfig key={selected[0]} id={selected[0]} canTest={canTest} />;
  if (selected.length > 1) return <MultiSelection ids={selected} />;
  return <WorkflowSettings />;
}

function MultiSelection({ ids }: { ids: string[] }) {
  return (
    <div className="space-y-3 p-4">
      <h2 className="text-sm font-semibold text-slate-900">{ids.length} nodes selected</h2>
      <p className="text-sm text-slate-600">Copy, paste, delete or drag them together. Select one node to edit it.</p>
      <Button variant="destructive" size="sm" onClick={() => useDesigner.getState().deleteNodes(ids)}>
        <Trash2 aria-hidden /> Delete {ids.length} nodes
      </Button>
    </div>
  );
}

function WorkflowSettings() {
  const description = useDesigner((s) => s.meta.description ?? "");
  const tags = useDesigner((s) => s.meta.tags);
  const [tagText, setTagText] = useState(() => (tags ?? []).join(", "));
  const [seenTags, setSeenTags] = useState(tags);
  if (seenTags !== tags) {
    setSeenTags(tags);
    if ((tags ?? []).join(", ") !== tagText.split(",").map((t) => t.trim()).filter(Boolean).join(", ")) setTagText((tags ?? []).join(", "));
  }
  return (
    <div className="space-y-4 p-4">
      <div>
        <h2 className="text-sm font-semibold text-slate-900">Workflow</h2>
        <p className="mt-1 text-sm text-slate-600">Select a node on the canvas to edit it, or add one from the palette.</p>
      </div>
      <FormField id="wf-description" label="Description" labelClassName="mb-1 block">
        <Textarea value={description} onChange={(e) => useDesigner.getState().setMeta({ description: e.target.value || undefined })} />
      </FormField>
      <FormField id="wf-tags" label="Tags" labelClassName="mb-1 block" help="Comma-separated; the workflow list filters on them.">
        <Input
          value={tagText}
          onChange={(e) => {
            setTagText(e.target.value);
            const next = parseTags(e.target.value);
            useDesigner.getState().setMeta({ tags: next.length ? next : undefined });
          }}
        />
      </FormField>
    </div>
  );
}

function IdField({ id }: { id: string }) {
  const [text, setText] = useState(id);
  const [error, setError] = useState<string | null>(null);
  const serverErrors = useDesigner(useShallow((s) => fieldMessages(s.problems.byField[id], "id", false)));
  const apply = () => {
    const next = text.trim();
    if (next === id) return setError(null);
    const problem = useDesigner.getState().renameNode(id, next);
    setError(problem);
  };
  const messages = [...(error ? [error] : []), ...serverErrors];
  return (
    <div>
      <Label htmlFor="node-id" className="mb-1 block">
        ID
      </Label>
      <Input
        id="node-id"
        value={text}
        onChange={(e) => setText(e.target.value)}
        onBlur={apply}
        onKeyDown={(e) => {
          if (e.key === "Enter") apply();
          if (e.key === "Escape") {
            setText(id);
            setError(null);
          }
        }}
        spellCheck={false}
        autoComplete="off"
        aria-invalid={messages.length > 0 || undefined}
        aria-describedby={`node-id-help${messages.length ? " node-id-err" : ""}`}
      />
      <Help id="node-id-help" text="How expressions refer to this node (`.nodes.<id>`); edges follow a rename. Enter applies it." />
      <Messages id="node-id-err" messages={messages} />
    </div>
  );
}

function useTestExpression(nodeId: string): SchemaFormContextValue["testExpression"] {
  const qc = useQueryClient();
  const workflowId = useDesigner((s) => s.workflowId);
  return useCallback(
    async (text: string): Promise<TestOutcome> => {
      let note: string;
      let context: Record<string, unknown>;
      const def = useDesigner.getState().definition();
      try {
        const run = workflowId ? await lastRunQuery(qc, workflowId) : null;
        note = run ? `data from the run of ${formatLocalDateTime(run.execution.created_at)}` : "no runs yet: tested against empty data";
        context = testContext(run, def, nodeId);
      } catch (e) {
        note = `the last run could not be read (${errorText(e)}): tested against empty data`;
        context = testContext(null, def, nodeId);
      }
      try {
        const r = await evaluateExpression(text, context);
        return { ok: true, result: r.result, results: r.results, note };
      } catch (e) {
        return { ok: false, error: errorText(e), note };
      }
    },
    [qc, workflowId, nodeId],
  );
}

function NodeConfig({ id, canTest }: { id: string; canTest: boolean }) {
  const def = useDesigner((s) => s.nodes.find((n) => n.id === id)?.data.def);
  const spec = useDesigner((s) => (def ? s.specs.get(def.type) : undefined));
  const byField = useDesigner((s) => s.problems.byField[id]);
  const located = useDesigner(useShallow((s) => s.problems.list.filter((p) => p.nodeId === id)));
  const nodeIds = useDesigner(useShallow((s) => s.nodes.map((n) => n.id)));
  const testExpression = useTestExpression(id);
  // Editors may list credentials (names and kinds, never values): credential fields offer them.
  const credentials = useCredentials(useRole().can("editor")).data;

  const ctx = useMemo<SchemaFormContextValue>(
    () => ({
      idPrefix: `cfg-${id}`,
      errors: (path, nested) => fieldMessages(byField, path, nested),
      nodeIds: nodeIds.filter((n) => n !== id),
      credentials,
      testExpression: canTest ? testExpression : undefined,
    }),
    [id, byField, nodeIds, credentials, canTest, testExpression],
  );

  if (!def) return null;
  const update = (patch: Partial<Omit<NodeDef, "id" | "type">>, key?: string) => useDesigner.getState().updateNode(id, patch, key);
  // Messages no field below shows (unknown type, edges, graph shape) go at the top.
  const shownParams = new Set(Object.keys(spec?.schema.properties ?? {}).filter((k) => !(isLoopType(def.type) && k === "body")));
  const covered = (field: string) =>
    ["id", "name", "notes", "on_error", "timeout_ms", "retry"].includes(field.split("/")[0]) ||
    (field.startsWith("config/") && shownParams.has(field.split("/")[1]));
  const general = located.filter((p) => p.field === undefined || !covered(p.field)).map((p) => (p.hint ? `${p.message} (${p.hint})` : p.message));
  const settings = { on_error: def.on_error, timeout_ms: def.timeout_ms, retry: def.retry };

  return (
    <SchemaFormContext.Provider value={ctx}>
      <div className="space-y-5 p-4" data-testid="config-panel">
        <header className="flex items-start gap-2.5">
          <span className={cn("grid size-9 shrink-0 place-items-center rounded-md", accentFor(spec?.category))}>
            <NodeTypeIcon type={def.type} category={spec?.category} className="size-5" />
          </span>
          <div className="min-w-0 flex-1">
            <h2 className="truncate text-sm font-semibold text-slate-900">{spec?.schema.title ?? def.type}</h2>
            <p className="font-mono text-xs text-slate-600">{def.type}</p>
          </div>
          <Button variant="ghost" size="icon" aria-label={`Delete node ${id}`} onClick={() => useDesigner.getState().deleteNodes([id])}>
            <Trash2 aria-hidden />
          </Button>
        </header>
        {spec ? (
          <Help text={spec.description} />
        ) : (
          <p role="alert" className="rounded-md border border-amber-300 bg-amber-50 p-2 text-sm text-amber-900">
            This server does not know the node type “{def.type}”.
          </p>
        )}
        {general.length > 0 && (
          <div role="alert" className="rounded-md border border-red-200 bg-red-50 p-2 text-sm text-red-800">
            <p className="flex items-center gap-1.5 font-medium">
              <TriangleAlert className="size-4" aria-hidden /> Problems with this node
            </p>
            <ul className="mt-1 list-disc space-y-0.5 pl-5">
              {general.map((m, i) => (
                <li key={i}>{m}</li>
              ))}
            </ul>
          </div>
        )}

        <section className="space-y-3" aria-labelledby="cfg-node">
          <h3 id="cfg-node" className="text-xs font-semibold uppercase tracking-wide text-slate-600">
            Node
          </h3>
          <IdField id={id} />
          <FormField id="node-name" label="Name" labelClassName="mb-1 block">
            <Input value={def.name ?? ""} placeholder={id} onChange={(e) => update({ name: e.target.value || undefined }, `node:${id}:name`)} />
          </FormField>
        </section>

        {spec && (
          <section className="space-y-3" aria-labelledby="cfg-params">
            <h3 id="cfg-params" className="text-xs font-semibold uppercase tracking-wide text-slate-600">
              Parameters
            </h3>
            {isLoopType(def.type) && (
              <p className="text-xs text-slate-600">The loop body is drawn inside the group on the canvas: drop nodes into it.</p>
            )}
            <SchemaForm
              schema={spec.schema}
              value={def.config}
              path="config"
              exclude={isLoopType(def.type) ? ["body"] : undefined}
              onChange={(config, key) => update({ config }, `node:${id}:config:${key}`)}
            />
          </section>
        )}

        <section className="space-y-3" aria-labelledby="cfg-settings">
          <h3 id="cfg-settings" className="text-xs font-semibold uppercase tracking-wide text-slate-600">
            Error handling
          </h3>
          <SchemaForm
            schema={nodeSettingsSchema}
            value={settings}
            path=""
            onChange={(next, key) => {
              const retry = next.retry as NodeDef["retry"];
              update(
                {
                  on_error: next.on_error as NodeDef["on_error"],
                  timeout_ms: next.timeout_ms as number | undefined,
                  retry: retry && Object.keys(retry).length ? retry : undefined,
                },
                `node:${id}:${key}`,
              );
            }}
          />
        </section>

        <section aria-labelledby="cfg-notes">
          <h3 id="cfg-notes" className="mb-2 text-xs font-semibold uppercase tracking-wide text-slate-600">
            Notes
          </h3>
          <Label htmlFor="node-notes" className="sr-only">
            Notes
          </Label>
          <Textarea
            id="node-notes"
            value={def.notes ?? ""}
            placeholder="Why this node is here, for the next person"
            onChange={(e) => update({ notes: e.target.value || undefined }, `node:${id}:notes`)}
          />
        </section>
      </div>
    </SchemaFormContext.Provider>
  );
}
