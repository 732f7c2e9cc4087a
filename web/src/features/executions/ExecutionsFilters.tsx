// The execution list's filters, kept in the URL (`?workflow=&status=&range=`): a workflow,
// a status and how far back runs started.
import type { WorkflowSummary } from "@/api/types";
import { FormField } from "@/components/ui/form";
import { Select } from "@/components/ui/input";
import { EXECUTION_STATUSES } from "./types";
import { isTimeRange, type ExecutionFilter, type TimeRange } from "./queries";

export const RANGE_LABELS: Record<TimeRange, string> = {
  "1h": "Last hour",
  "24h": "Last 24 hours",
  "7d": "Last 7 days",
  "30d": "Last 30 days",
};

export function filterFromParams(params: URLSearchParams): ExecutionFilter {
  const range = params.get("range");
  const status = params.get("status");
  return {
    workflow_id: params.get("workflow") || undefined,
    status: status && (EXECUTION_STATUSES as readonly string[]).includes(status) ? status : undefined,
    range: isTimeRange(range) ? range : undefined,
  };
}

export function ExecutionsFilters({
  params,
  onChange,
  workflows,
  workflowsError,
}: {
  params: URLSearchParams;
  onChange: (next: URLSearchParams) => void;
  workflows: WorkflowSummary[];
  workflowsError?: string;
}) {
  const filter = filterFromParams(params);
  const set = (name: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    onChange(next);
  };
  const sorted = [...workflows].sort((a, b) => a.name.localeCompare(b.name));
  // A workflow in the URL that the list does not know (deleted, or beyond the first page)
  // still needs an option, or the select would silently show "All workflows".
  const unknownWorkflow = filter.workflow_id && !workflows.some((w) => w.id === filter.workflow_id);

  return (
    <div role="group" aria-label="Filter executions" className="mb-4 grid gap-3 sm:grid-cols-3">
      <FormField
        id="filter-workflow"
        label="Workflow"
        error={workflowsError && `Could not load workflow names: ${workflowsError}`}
        invalid={false}
      >
        <Select className="mt-1" value={filter.workflow_id ?? ""} onChange={(e) => set("workflow", e.target.value)}>
          <option value="">All workflows</option>
          {unknownWorkflow && <option value={filter.workflow_id}>{filter.workflow_id}</option>}
          {sorted.map((w) => (
            <option key={w.id} value={w.id}>
              {w.name}
            </option>
          ))}
        </Select>
      </FormField>
      <FormField id="filter-status" label="Status">
        <Select className="mt-1" value={filter.status ?? ""} onChange={(e) => set("status", e.target.value)}>
          <option value="">Any status</option>
          {EXECUTION_STATUSES.map((s) => (
            <option key={s} value={s}>
              {s.replace("_", " ")}
            </option>
          ))}
        </Select>
      </FormField>
      <FormField id="filter-range" label="Started">
        <Select className="mt-1" value={filter.range ?? ""} onChange={(e) => set("range", e.target.value)}>
          {(Object.keys(RANGE_LABELS) as TimeRange[]).map((r) => (
            <option key={r} value={r}>
              {RANGE_LABELS[r]}
            </option>
          ))}
          <option value="">All time</option>
        </Select>
      </FormField>
    </div>
  );
}
