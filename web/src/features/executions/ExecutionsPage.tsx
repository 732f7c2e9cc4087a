// Every execution, newest first, filtered by workflow, status and start time (the filters
// live in the URL, so a filtered view can be shared and survives a reload). Rows change
// status live from the multiplexed socket; if that cannot stay connected the list polls.
import { useMemo, useState } from "react";
import { useSearchParams } from "react-router";
import { LoadMore } from "@/components/LoadMore";
import { Button } from "@/components/ui/button";
import { EmptyState, PageHeader, Spinner } from "@/components/ui/misc";
import { errorText } from "@/features/auth/errors";
import { ExecutionsTable } from "./components/ExecutionsTable";
import { ErrorNotice } from "@/components/ErrorNotice";
import { ExecutionsFilters, filterFromParams } from "./ExecutionsFilters";
import { LiveIndicator } from "./components/LiveIndicator";
import { useExecutionList, useWorkflowIndex } from "./queries";
import { useLiveExecutions } from "./useLiveExecutions";

const POLL_MS = 5_000;

export function ExecutionsPage() {
  const [params, setParams] = useSearchParams();
  const filter = filterFromParams(params);
  const workflows = useWorkflowIndex();

  const [healthy, setHealthy] = useState(true);
  const list = useExecutionList(filter, { poll: healthy ? false : POLL_MS });
  const items = useMemo(() => list.data?.pages.flatMap((p) => p.items) ?? [], [list.data]);
  const followed = useMemo(() => {
    if (filter.workflow_id) return [filter.workflow_id];
    // Every known workflow, so a run that starts anywhere shows up, plus those on screen.
    return [...(workflows.data?.items.map((w) => w.id) ?? []), ...items.map((e) => e.workflow_id)];
  }, [filter.workflow_id, workflows.data, items]);
  useLiveExecutions(followed, setHealthy);
  const filtered = !!(filter.workflow_id || filter.status || filter.range);

  return (
    <div>
      <PageHeader title="Executions">
        <LiveIndicator live={healthy} pollSeconds={POLL_MS / 1000} />
      </PageHeader>
      <ExecutionsFilters
        params={params}
        onChange={(next) => setParams(next, { replace: true })}
        workflows={workflows.data?.items ?? []}
        workflowsError={workflows.isError ? errorText(workflows.error) : undefined}
      />
      {list.isPending ? (
        <Spinner label="Loading executions" />
      ) : !list.data ? (
        <ErrorNotice what="executions" error={list.error} onRetry={() => void list.refetch()} />
      ) : items.length === 0 ? (
        <EmptyState>
          {filtered ? (
            <>
              No executions match these filters.{" "}
              <Button variant="link" size="sm" className="h-auto p-0" onClick={() => setParams({}, { replace: true })}>
                Clear filters
              </Button>
            </>
          ) : (
            "No executions yet. Run a workflow from its designer page to see it here."
          )}
        </EmptyState>
      ) : (
        <>
          <ExecutionsTable items={items} workflows={workflows.data?.byId} caption="Executions" />
          <LoadMore query={list} />
        </>
      )}
    </div>
  );
}
