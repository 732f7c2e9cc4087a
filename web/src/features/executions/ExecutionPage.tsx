// One execution, watched live: the pinned workflow version drawn on the shared canvas with
// each node coloured from the event stream, a panel for the selected node, the event
// timeline, the log, and the run's input and output. The stream is the source of truth for
// everything that changes; the REST record fills in until the first events arrive.
import { useCallback, useEffect, useMemo, useState } from "react";
import { useParams, useSearchParams } from "react-router";
import { useQueryClient } from "@tanstack/react-query";
import { keys } from "@/api/keys";
import { useNodeCatalog } from "@/api/queries";
import { Card, Spinner, Tabs, TabsContent, TabsList, TabsTrigger } from "@/components/ui/misc";
import { useRole } from "@/features/auth/roles";
import { WorkflowCanvas } from "@/features/canvas";
import { ErrorNotice } from "@/components/ErrorNotice";
import { JsonView } from "./components/JsonView";
import { ExecutionActions, type SignalRequest } from "./ExecutionActions";
import { ExecutionHeader } from "./ExecutionHeader";
import { LogsViewer } from "./LogsViewer";
import { NodeDetailsPanel } from "./NodeDetailsPanel";
import { useExecution, useWorkflowVersion } from "./queries";
import { isTerminal } from "./runState";
import { canvasRunState, indexDefinition } from "./selectors";
import { Timeline } from "./Timeline";
import { useExecutionStream } from "./useExecutionStream";

export function ExecutionPage() {
  const { id = "" } = useParams();
  // A new id (a child execution's link) is a new page: fresh stream, nothing selected.
  return <ExecutionView key={id} id={id} />;
}

function ExecutionView({ id }: { id: string }) {
  const qc = useQueryClient();
  const execution = useExecution(id);
  const stream = useExecutionStream(id);
  const { run } = stream;
  const rec = execution.data;
  const version = useWorkflowVersion(rec?.workflow_id, rec?.version);
  const catalog = useNodeCatalog();
  const { can } = useRole();
  const [params, setParams] = useSearchParams();
  const selected = params.get("node") ?? undefined;
  const [signalRequest, setSignalRequest] = useState<SignalRequest | null>(null);

  const status = run.status ?? rec?.status;
  const terminal = isTerminal(status);
  const definition = version.data?.definition;
  const index = useMemo(() => (definition ? indexDefinition(definition) : new Map()), [definition]);
  const nodeIds = useMemo(() => [...index.keys()] as string[], [index]);
  const nodeIdSet = useMemo(() => new Set(nodeIds), [nodeIds]);
  const runState = useMemo(() => canvasRunState(run, nodeIds, status), [run, nodeIds, status]);

  const selectNode = useCallback(
    (nodeId: string | undefined) =>
      setParams(
        (p) => {
          const next = new URLSearchParams(p);
          if (nodeId) next.set("node", nodeId);
          else next.delete("node");
          return next;
        },
        { replace: true },
      ),
    [setParams],
  );

  // When the run ends, the record (finished_at, output) and every list showing it are stale.
  useEffect(() => {
    if (!terminal || !run.lastSeq) return;
    void qc.invalidateQueries({ queryKey: keys.execution(id) });
    void qc.invalidateQueries({ queryKey: keys.allExecutions });
  }, [terminal, run.lastSeq, id, qc]);

  if (execution.isPending) return <Spinner label="Loading execution" />;
  if (!rec) return <ErrorNotice what="this execution" error={execution.error} onRetry={() => void execution.refetch()} />;

  const canAct = can("operator");
  const finishedAt = terminal ? (run.finishedAt ?? rec.finished_at) : null;
  const error = terminal ? (run.error ?? rec.error) : null;
  const output = run.output !== undefined ? run.output : (rec.output ?? undefined);

  return (
    <div>
      <ExecutionHeader
        id={id}
        workflowId={rec.workflow_id}
        workflowName={version.data?.name}
        version={rec.version}
        status={status ?? rec.status}
        startedAt={rec.created_at}
        finishedAt={finishedAt}
        connection={stream.connection}
        error={error}
        cancelReason={run.cancelReason}
        parent={rec.parent}
        onSelectNode={selectNode}
        actions={
          canAct ? (
            <ExecutionActions
              executionId={id}
              status={status ?? rec.status}
              awaiting={run.awaiting}
              signalRequest={signalRequest}
              onSignalRequest={setSignalRequest}
              onRetried={stream.resume}
            />
          ) : null
        }
      />

      <div className="grid gap-4 lg:grid-cols-[minmax(0,1fr)_22rem]">
        <Card className="h-[26rem] overflow-hidden lg:h-[32rem]">
          {version.isPending || catalog.isPending ? (
            <div className="grid h-full place-items-center">
              <Spinner label="Loading workflow" />
            </div>
          ) : !definition ? (
            <ErrorNotice className="m-3" what={`version ${rec.version} of the workflow`} error={version.error} onRetry={() => void version.refetch()} />
          ) : (
            <WorkflowCanvas
              definition={definition}
              specs={catalog.data ?? []}
              runState={runState}
              selectedNodeId={selected}
              onNodeClick={selectNode}
              label={`Workflow ${version.data?.name ?? ""} v${rec.version}, coloured by run state`}
            />
          )}
        </Card>
        <Card className="min-h-48 lg:h-[32rem]">
          {selected ? (
            <NodeDetailsPanel
              key={selected}
              nodeId={selected}
              def={index.get(selected)?.def}
              run={run}
              index={index}
              onClose={() => selectNode(undefined)}
              onSignal={canAct && !terminal ? (name) => setSignalRequest({ key: Date.now(), name }) : undefined}
            />
          ) : (
            <div className="grid h-full place-items-center p-6 text-center text-sm text-slate-600">
              Select a node on the canvas to see its attempts, input and output.
            </div>
          )}
        </Card>
      </div>

      <Tabs defaultValue="timeline" className="mt-4">
        <TabsList aria-label="Execution details">
          <TabsTrigger value="timeline">Timeline ({run.events.length})</TabsTrigger>
          <TabsTrigger value="logs">Logs</TabsTrigger>
          <TabsTrigger value="data">Input &amp; output</TabsTrigger>
        </TabsList>
        <TabsContent value="timeline" className="pt-3 focus-visible:outline-none">
          <Timeline events={run.events} nodeIds={nodeIdSet} onSelectNode={selectNode} />
        </TabsContent>
        <TabsContent value="logs" className="pt-3 focus-visible:outline-none">
          <LogsViewer executionId={id} nodeIds={nodeIds} liveSeq={run.lastSeq} onSelectNode={selectNode} />
        </TabsContent>
        <TabsContent value="data" className="grid gap-4 pt-3 focus-visible:outline-none md:grid-cols-2">
          <section>
            <h2 className="mb-1.5 text-sm font-semibold text-slate-900">Input</h2>
            <JsonView label="Execution input" value={rec.input} />
          </section>
          <section>
            <h2 className="mb-1.5 text-sm font-semibold text-slate-900">Output</h2>
            <JsonView label="Execution output" value={output ?? undefined} empty={terminal ? "No output." : "Not finished yet."} />
          </section>
          {error && (
            <section className="md:col-span-2">
              <h2 className="mb-1.5 text-sm font-semibold text-slate-900">Error</h2>
              <JsonView label="Execution error" value={error} />
            </section>
          )}
        </TabsContent>
      </Tabs>
    </div>
  );
}
