// What one node did in this run: its status, every attempt with its error, what it is
// waiting for, the child execution it started, and its input (`prev`) and output. A loop
// body node ran once per iteration; each iteration can be looked at on its own.
import { useMemo, useState } from "react";
import { Link } from "react-router";
import { X } from "lucide-react";
import type { NodeDef } from "@/api/types";
import { StatusBadge } from "@/components/StatusBadge";
import { RelativeTime } from "@/components/Time";
import { Button } from "@/components/ui/button";
import { FormField } from "@/components/ui/form";
import { Select } from "@/components/ui/input";
import { TBody, TD, TH, THead, TRow, Table } from "@/components/ui/table";
import { formatClock, formatDateTime, formatDuration, shortId } from "@/lib/format";
import { JsonView } from "./components/JsonView";
import type { Attempt, NodeDetail, RunState } from "./runState";
import { detailsForId, nodeInput, type indexDefinition } from "./selectors";

function AttemptsTable({ attempts, caption }: { attempts: Attempt[]; caption: string }) {
  return (
    <Table caption={caption} size="xs">
      {/* Sentence case and no rule: a small table inside the panel's own section. */}
      <THead className="border-b-0 normal-case tracking-normal">
        <TH>#</TH>
        <TH>Started</TH>
        <TH>Took</TH>
        <TH>Result</TH>
      </THead>
      <TBody>
        {attempts.map((a) => (
          <TRow key={a.attempt} hover={false} className="align-top">
            <TD className="tabular-nums">{a.attempt}</TD>
            <TD className="whitespace-nowrap tabular-nums" title={formatDateTime(a.startedAt)}>
              {formatClock(a.startedAt)}
            </TD>
            <TD className="whitespace-nowrap tabular-nums">{a.endedAt ? formatDuration(a.endedAt - a.startedAt) : "…"}</TD>
            <TD>
              {a.error ? (
                <span className="text-red-800">
                  <span className="font-medium">{a.error.kind}</span>: {a.error.message}
                </span>
              ) : (
                a.outcome
              )}
            </TD>
          </TRow>
        ))}
      </TBody>
    </Table>
  );
}

function Section({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <section className="space-y-1.5">
      <h3 className="text-xs font-semibold uppercase tracking-wide text-slate-600">{title}</h3>
      {children}
    </section>
  );
}

function WaitInfo({ detail, onSignal }: { detail: NodeDetail; onSignal?: (name: string) => void }) {
  const w = detail.wait;
  if (!w) return null;
  if (w.kind === "timer") {
    return (
      <p className="text-sm text-amber-900">
        Waiting for its timer, due <RelativeTime ms={w.dueAt} />.
      </p>
    );
  }
  if (w.receivedAt) {
    return <p className="text-sm text-slate-700">Received signal “{w.name}” at {formatClock(w.receivedAt)}.</p>;
  }
  return (
    <div className="space-y-2 text-sm text-amber-900">
      <p>
        Waiting for signal <code className="rounded bg-amber-50 px-1 font-mono">{w.name}</code>
        {w.timeoutAt && (
          <>
            , times out <RelativeTime ms={w.timeoutAt} />
          </>
        )}
        .
      </p>
      {onSignal && detail.status === "waiting" && (
        <Button size="sm" variant="secondary" onClick={() => onSignal(w.name)}>
          Resume with signal…
        </Button>
      )}
    </div>
  );
}

export function NodeDetailsPanel({
  nodeId,
  def,
  run,
  index,
  onClose,
  onSignal,
}: {
  nodeId: string;
  def?: NodeDef;
  run: RunState;
  index: ReturnType<typeof indexDefinition>;
  onClose: () => void;
  /** Offered for a signal wait when the viewer may send signals. */
  onSignal?: (name: string) => void;
}) {
  const runs = useMemo(() => detailsForId(run, nodeId), [run, nodeId]);
  const [chosen, setChosen] = useState<string | undefined>();
  // The last iteration unless one was picked (and still exists after a retry reset).
  const detail = runs.find((r) => r.path === chosen) ?? runs[runs.length - 1];
  const input = detail ? nodeInput(index, run, detail.path) : { known: false as const };
  const lastError = detail ? [...detail.attempts].reverse().find((a) => a.error)?.error : undefined;
  const iterations = detail?.loop ? Object.values(detail.loop.iterations) : [];

  return (
    <div className="flex h-full flex-col" data-testid="execution-node-details">
      <div className="flex items-start justify-between gap-2 border-b border-slate-200 p-3">
        <div className="min-w-0">
          <h2 className="truncate text-base font-semibold text-slate-900">Node {nodeId}</h2>
          <p className="truncate text-xs text-slate-600">
            {def?.type ?? "unknown type"}
            {def?.name ? ` · ${def.name}` : ""}
          </p>
        </div>
        <Button variant="ghost" size="icon" onClick={onClose} aria-label="Close node details">
          <X aria-hidden />
        </Button>
      </div>
      <div className="min-h-0 flex-1 space-y-4 overflow-auto p-3">
        {runs.length > 1 && (
          <FormField label="Iteration">
            <Select className="mt-1" value={detail?.path} onChange={(e) => setChosen(e.target.value)}>
              {runs.map((r) => (
                <option key={r.path} value={r.path}>
                  {r.path} ({r.status})
                </option>
              ))}
            </Select>
          </FormField>
        )}
        {!detail ? (
          <p className="text-sm text-slate-600">This node has not run in this execution.</p>
        ) : (
          <>
            <div className="flex flex-wrap items-center gap-2 text-sm">
              <StatusBadge status={detail.status} />
              {detail.attempts.length > 1 && <span className="text-slate-700">{detail.attempts.length} attempts</span>}
              {runs.length > 1 && <span className="font-mono text-xs text-slate-600">{detail.path}</span>}
            </div>
            <WaitInfo detail={detail} onSignal={onSignal} />
            {detail.interrupted && (
              <p className="text-sm text-red-800">
                Stopped when the execution ended: {detail.interrupted.message}
              </p>
            )}
            {detail.child && (
              <p className="text-sm">
                Started child execution{" "}
                <Link to={`/executions/${detail.child.id}`} className="font-mono text-indigo-700 hover:underline" title={detail.child.id}>
                  {shortId(detail.child.id)}
                </Link>
              </p>
            )}
            {detail.loop && (
              <p className="text-sm text-slate-700">
                {iterations.filter((i) => i.completedAt !== undefined).length} of{" "}
                {detail.loop.items ? detail.loop.items.length : iterations.length} iterations done.
              </p>
            )}
            {detail.attempts.length > 0 && (
              <Section title="Attempts">
                <AttemptsTable attempts={detail.attempts} caption={`Attempts of node ${nodeId}`} />
              </Section>
            )}
            {detail.earlierAttempts.length > 0 && (
              <Section title="Before the retry">
                <AttemptsTable attempts={detail.earlierAttempts} caption={`Attempts of node ${nodeId} before the execution was retried`} />
              </Section>
            )}
            {lastError?.details !== undefined && (
              <Section title="Error details">
                <JsonView label="Error details" value={lastError.details} />
              </Section>
            )}
          </>
        )}
        <Section title="Input (prev)">
          <JsonView label="Input" value={input.known ? input.value : undefined} empty="Not known yet: the node has not been reached." />
        </Section>
        {detail && (
          <Section title="Output">
            <JsonView label="Output" value={detail.hasOutput ? detail.output : undefined} empty="No output yet." />
          </Section>
        )}
      </div>
    </div>
  );
}
