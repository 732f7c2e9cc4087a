// The node components every canvas draws with. They render only from their `data` (no store
// subscriptions, no callbacks), are memoized, and expose the DOM contract the end-to-end
// tests use: `data-testid="node-<id>"`, `data-status`, `data-invalid`, handle ids = ports.
import { memo, useMemo, type CSSProperties } from "react";
import { Handle, Position, type NodeProps } from "@xyflow/react";
import { TriangleAlert } from "lucide-react";
import { cn } from "@/lib/cn";
import { accentFor, NodeTypeIcon } from "./icons";
import { hasTarget, sourcePorts } from "./ports";
import { labelledPorts, LOOP_HEADER } from "./geometry";
import { statusLook } from "./status";
import {
  ERROR_PORT,
  TARGET_HANDLE,
  type DiffHighlight,
  type LoopFlowNode,
  type TaskFlowNode,
  type WorkflowNodeData,
} from "./types";

const highlightLook: Record<DiffHighlight, { ring: string; tag: string; label: string }> = {
  added: { ring: "ring-2 ring-emerald-500", tag: "bg-emerald-600 text-white", label: "Added" },
  removed: { ring: "ring-2 ring-red-500 opacity-70 border-dashed", tag: "bg-red-700 text-white", label: "Removed" },
  changed: { ring: "ring-2 ring-amber-500", tag: "bg-amber-500 text-slate-950", label: "Changed" },
};

const handleBase = "!size-3 !border-2 !border-white";
const targetHandle = cn(handleBase, "!bg-slate-500");
function sourceHandleClass(port: string) {
  return cn(handleBase, port === ERROR_PORT ? "!bg-red-600" : "!bg-indigo-600");
}

/** Ring, tint and data attributes shared by task and loop nodes. */
function useDecoration(id: string, data: WorkflowNodeData, selected: boolean | undefined) {
  const { runState, highlight, problems } = data;
  const invalid = !!problems?.length;
  const look = runState ? statusLook[runState.status] : undefined;
  return {
    attrs: {
      "data-testid": `node-${id}`,
      "data-status": runState?.status,
      "data-invalid": invalid ? "true" : undefined,
      "data-highlight": highlight,
      title: invalid ? problems!.join("\n") : undefined,
    },
    invalid,
    look,
    className: cn(
      look?.node,
      highlight && highlightLook[highlight].ring,
      invalid && "ring-2 ring-red-600",
      selected && "outline-2 outline-offset-2 outline-indigo-600",
    ),
  };
}

function Header({ data }: { data: WorkflowNodeData }) {
  const { def, spec } = data;
  const title = def.name || def.id;
  return (
    <div className="flex min-w-0 items-center gap-2">
      <span className={cn("grid size-8 shrink-0 place-items-center rounded-md", accentFor(spec?.category))} aria-hidden>
        <NodeTypeIcon type={def.type} category={spec?.category} className="size-4" />
      </span>
      <span className="min-w-0 flex-1">
        <span className="block truncate text-sm font-medium text-slate-900">{title}</span>
        <span className="block truncate font-mono text-[11px] text-slate-600">
          {def.name ? `${def.id} · ${def.type}` : def.type}
        </span>
      </span>
    </div>
  );
}

function Badges({ data, invalid }: { data: WorkflowNodeData; invalid: boolean }) {
  const { runState, highlight, problems } = data;
  const look = runState ? statusLook[runState.status] : undefined;
  if (!look && !highlight && !invalid) return null;
  const StatusIcon = look?.icon;
  return (
    <div className="mt-1.5 flex flex-wrap items-center gap-1.5 text-xs">
      {look && StatusIcon && (
        <span className={cn("inline-flex items-center gap-1 font-medium", look.text)}>
          <StatusIcon className={cn("size-3.5", look.spin && "animate-spin")} aria-hidden />
          {look.label}
        </span>
      )}
      {runState && runState.attempts > 1 && (
        <span
          className="rounded-full border border-amber-400 bg-amber-50 px-1.5 font-medium text-amber-900"
          title={`${runState.attempts} attempts`}
          data-testid="attempts-badge"
        >
          ×{runState.attempts}
          <span className="sr-only"> attempts</span>
        </span>
      )}
      {highlight && (
        <span className={cn("rounded px-1.5 font-medium", highlightLook[highlight].tag)}>{highlightLook[highlight].label}</span>
      )}
      {invalid && (
        <span className="inline-flex items-center gap-1 font-medium text-red-700">
          <TriangleAlert className="size-3.5" aria-hidden />
          {problems!.length === 1 ? "1 problem" : `${problems!.length} problems`}
        </span>
      )}
      {runState?.error && (
        <span className="block w-full truncate text-red-800" title={runState.error}>
          {runState.error}
        </span>
      )}
    </div>
  );
}

function TaskNodeView({ id, data, selected }: NodeProps<TaskFlowNode>) {
  const { def, spec } = data;
  const ports = useMemo(() => sourcePorts(def, spec), [def, spec]);
  const deco = useDecoration(id, data, selected);
  const labelled = labelledPorts(ports);
  return (
    <div
      {...deco.attrs}
      className={cn("w-56 rounded-lg border border-slate-300 bg-white shadow-sm", deco.className)}
    >
      {hasTarget(spec) && <Handle type="target" id={TARGET_HANDLE} position={Position.Left} className={targetHandle} />}
      <div className="px-3 pb-2 pt-2.5">
        <Header data={data} />
        <Badges data={data} invalid={deco.invalid} />
      </div>
      {labelled ? (
        <ul className="border-t border-slate-200 py-1" aria-label="Output ports">
          {ports.map((p) => (
            <li key={p} className="relative flex h-5 items-center justify-end pr-3 text-[11px] text-slate-700">
              <span className={cn("truncate font-mono", p === ERROR_PORT && "text-red-700")}>{p}</span>
              <Handle type="source" id={p} position={Position.Right} className={sourceHandleClass(p)} title={`Output: ${p}`} />
            </li>
          ))}
        </ul>
      ) : (
        <Handle type="source" id={ports[0]} position={Position.Right} className={sourceHandleClass(ports[0])} />
      )}
    </div>
  );
}

function LoopNodeView({ id, data, selected }: NodeProps<LoopFlowNode>) {
  const { def, spec } = data;
  const ports = useMemo(() => sourcePorts(def, spec), [def, spec]);
  const deco = useDecoration(id, data, selected);
  const handleTop = (i: number): CSSProperties => ({ top: 18 + i * 18 });
  return (
    <div
      {...deco.attrs}
      className={cn(
        "relative size-full rounded-xl border-2 border-dashed border-sky-400 bg-sky-50/50",
        deco.className,
      )}
    >
      <Handle type="target" id={TARGET_HANDLE} position={Position.Left} className={targetHandle} style={{ top: LOOP_HEADER / 2 }} />
      <div className="flex items-start gap-2 rounded-t-xl border-b border-sky-200 bg-white/80 px-3 py-2" style={{ minHeight: LOOP_HEADER }}>
        <div className="min-w-0 flex-1">
          <Header data={data} />
          <Badges data={data} invalid={deco.invalid} />
        </div>
        {ports.length > 1 && (
          <ul className="shrink-0 pr-1 text-right font-mono text-[11px] leading-[18px] text-slate-700" aria-label="Output ports">
            {ports.map((p) => (
              <li key={p} className={cn(p === ERROR_PORT && "text-red-700")}>
                {p}
              </li>
            ))}
          </ul>
        )}
      </div>
      {ports.map((p, i) => (
        <Handle
          key={p}
          type="source"
          id={p}
          position={Position.Right}
          className={sourceHandleClass(p)}
          style={ports.length > 1 ? handleTop(i) : { top: LOOP_HEADER / 2 }}
          title={`Output: ${p}`}
        />
      ))}
    </div>
  );
}

export const TaskNode = memo(TaskNodeView);
export const LoopNode = memo(LoopNodeView);
