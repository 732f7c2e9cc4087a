// The top of an execution's page: which workflow and version it runs, how it stands, when it
// started and how long it has taken (ticking while it runs), whether the view is live, and
// why it failed — with a way to jump to the node at fault.
import type { ReactNode } from "react";
import { Link } from "react-router";
import { StatusBadge } from "@/components/StatusBadge";
import { Duration, RelativeTime } from "@/components/Time";
import { Button } from "@/components/ui/button";
import { shortId } from "@/lib/format";
import type { Connection } from "./stream";
import type { RunError } from "./types";

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs text-slate-600">{label}</dt>
      <dd className="mt-0.5 truncate text-sm text-slate-900">{children}</dd>
    </div>
  );
}

const connectionText: Record<Connection, string | null> = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  ended: null,
  stopped: null,
};

export function ExecutionHeader({
  id,
  workflowId,
  workflowName,
  version,
  status,
  startedAt,
  finishedAt,
  connection,
  error,
  cancelReason,
  parent,
  actions,
  onSelectNode,
}: {
  id: string;
  workflowId: string;
  workflowName?: string;
  version: number;
  status: string;
  startedAt: number;
  finishedAt?: number | null;
  connection: Connection;
  error?: RunError | null;
  cancelReason?: string;
  parent?: { execution_id: string; node: string } | null;
  actions: ReactNode;
  onSelectNode: (id: string) => void;
}) {
  const conn = connectionText[connection];
  const faultNode = error?.node?.split("/").pop();
  return (
    <header className="mb-4 space-y-3">
      <nav aria-label="Breadcrumb" className="text-sm text-slate-600">
        <Link to="/executions" className="rounded hover:underline focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500">
          Executions
        </Link>{" "}
        / <span className="font-mono">{shortId(id)}</span>
      </nav>
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="flex flex-wrap items-center gap-3">
          <h1 className="text-xl font-semibold text-slate-900">
            Execution <span className="font-mono" title={id}>{shortId(id)}</span>
          </h1>
          <StatusBadge status={status} className="text-sm" />
          {conn && (
            <span role="status" className="inline-flex items-center gap-1.5 text-xs text-slate-600" data-testid="stream-connection">
              <span aria-hidden className={connection === "live" ? "size-2 animate-pulse rounded-full bg-emerald-500" : "size-2 rounded-full bg-amber-500"} />
              {conn}
            </span>
          )}
        </div>
        {actions}
      </div>
      <dl className="grid grid-cols-2 gap-3 rounded-lg border border-slate-200 bg-white p-3 md:grid-cols-4">
        <Fact label="Workflow">
          <Link to={`/workflows/${workflowId}`} className="rounded text-indigo-700 hover:underline focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500">
            {workflowName ?? workflowId}
          </Link>
        </Fact>
        <Fact label="Version">v{version}</Fact>
        <Fact label="Started">
          <RelativeTime ms={startedAt} />
        </Fact>
        <Fact label="Duration">
          <Duration start={startedAt} end={finishedAt} className="tabular-nums" />
        </Fact>
      </dl>
      {parent && (
        <p className="text-sm text-slate-700">
          Started by node <code className="font-mono">{parent.node}</code> of execution{" "}
          <Link to={`/executions/${parent.execution_id}`} className="font-mono text-indigo-700 hover:underline">
            {shortId(parent.execution_id)}
          </Link>
          .
        </p>
      )}
      {status === "cancelled" ? (
        // A cancel is someone's decision, not a fault: said once, without alarm.
        <p className="rounded-md border border-slate-300 bg-slate-50 p-2 text-sm text-slate-800">
          Cancelled: {cancelReason ?? error?.message ?? "no reason given"}
        </p>
      ) : (
        cancelReason && (
          <p className="rounded-md border border-slate-300 bg-slate-50 p-2 text-sm text-slate-800">Cancel requested: {cancelReason}</p>
        )
      )}
      {error && status !== "cancelled" && (
        <div role="alert" className="flex flex-wrap items-center gap-2 rounded-md border border-red-200 bg-red-50 p-3 text-sm text-red-900">
          <span className="min-w-0 flex-1">
            <span className="font-medium">{error.kind}</span>
            {error.node && (
              <>
                {" "}
                at node <code className="font-mono">{error.node}</code>
              </>
            )}
            : {error.message}
          </span>
          {faultNode && (
            <Button size="sm" variant="secondary" onClick={() => onSelectNode(faultNode)}>
              Show failed node
            </Button>
          )}
        </div>
      )}
    </header>
  );
}
