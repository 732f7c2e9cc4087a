// Server state for the workflow list: the paged list and the mutations that change it
// (create, duplicate, delete, import), plus export as a file download.
import { useInfiniteQuery, useMutation, useQueryClient } from "@tanstack/react-query";
import { api, authedFetch, call } from "@/api/client";
import { keys } from "@/api/keys";
import { useInvalidatingMutation } from "@/api/queries";
import type { Definition, ExecutionStatus, Workflow, WorkflowSummary } from "@/api/types";
import type { paths } from "@/api/schema";

/**
 * A row of the list. `description`, `tags` and `last_execution` are newer than the generated
 * schema; older servers leave them out, so they stay optional.
 */
export type WorkflowListItem = WorkflowSummary & {
  description?: string | null;
  tags?: string[];
  last_execution?: { id: string; status: ExecutionStatus; created_at: number } | null;
};

export interface WorkflowFilter {
  q?: string;
  tag?: string;
}

type ListQuery = NonNullable<paths["/api/v1/workflows"]["get"]["parameters"]["query"]> & WorkflowFilter;

export const PAGE_SIZE = 50;

export function useWorkflowList(filter: WorkflowFilter) {
  const f: WorkflowFilter = { q: filter.q || undefined, tag: filter.tag || undefined };
  return useInfiniteQuery({
    queryKey: keys.workflowPages(f),
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam }) => {
      const query: ListQuery = { limit: PAGE_SIZE, cursor: pageParam, ...f };
      const page = await call(() => api.GET("/api/v1/workflows", { params: { query } }));
      return { items: page.items as WorkflowListItem[], next_cursor: page.next_cursor ?? undefined };
    },
    getNextPageParam: (last) => last.next_cursor,
  });
}

async function createWorkflow(def: Definition): Promise<Workflow> {
  const w = await call(() => api.POST("/api/v1/workflows", { body: def as unknown as Record<string, never> }));
  return w as unknown as Workflow;
}

/** The smallest definition the gateway accepts: one manual trigger for the designer to grow from. */
export function starterDefinition(input: { name: string; description?: string; tags?: string[] }): Definition {
  const def: Definition = {
    name: input.name.trim(),
    nodes: [{ id: "start", type: "trigger.manual", position: { x: 0, y: 0 } }],
    edges: [],
  };
  const description = input.description?.trim();
  if (description) def.description = description;
  // Left out when empty, so servers that predate tags accept the definition too.
  if (input.tags?.length) def.tags = input.tags;
  return def;
}

/** Tags as typed into one field: comma-separated, trimmed, without blanks or repeats. */
export function parseTags(text: string): string[] {
  return [...new Set(text.split(",").map((t) => t.trim()).filter(Boolean))];
}

export function useCreateWorkflow() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: createWorkflow,
    onSuccess: (w) => {
      qc.setQueryData(keys.workflow(w.id), w);
      return qc.invalidateQueries({ queryKey: keys.allWorkflows });
    },
  });
}

export function useDuplicateWorkflow() {
  return useInvalidatingMutation(keys.allWorkflows, async (source: { id: string; name: string }) => {
    const w = (await call(() =>
      api.GET("/api/v1/workflows/{id}", { params: { path: { id: source.id } } }),
    )) as unknown as Workflow;
    return createWorkflow({ ...w.definition, name: `${w.definition.name ?? source.name} (copy)` });
  });
}

export function useDeleteWorkflow() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => call(() => api.DELETE("/api/v1/workflows/{id}", { params: { path: { id } } })),
    onSuccess: (_, id) => {
      qc.removeQueries({ queryKey: keys.workflow(id) });
      return qc.invalidateQueries({ queryKey: keys.allWorkflows });
    },
  });
}

export type DefinitionFormat = "json" | "yaml";

/** JSON when the text is a JSON object, else YAML (a superset the gateway parses strictly). */
export function detectFormat(text: string, fileName?: string): DefinitionFormat {
  if (fileName && /\.ya?ml$/i.test(fileName)) return "yaml";
  if (fileName && /\.json$/i.test(fileName)) return "json";
  return text.trimStart().startsWith("{") ? "json" : "yaml";
}

export function useImportWorkflow() {
  return useInvalidatingMutation(keys.allWorkflows, async ({ text, format }: { text: string; format: DefinitionFormat }) => {
    const w = await call(() =>
      api.POST("/api/v1/workflows/import", {
        body: text,
        // The gateway parses the raw file itself, so it must not be JSON-encoded again.
        bodySerializer: (b: string) => b,
        headers: { "Content-Type": format === "json" ? "application/json" : "application/yaml" },
      }),
    );
    return w as unknown as Workflow;
  });
}

function fileNameFrom(res: Response, fallback: string): string {
  const m = /filename="?([^";]+)"?/i.exec(res.headers.get("content-disposition") ?? "");
  return m?.[1] ?? fallback;
}

/** Downloads a workflow's latest version as a Weft JSON or YAML file. */
export async function exportWorkflow(w: { id: string; name: string }, format: DefinitionFormat): Promise<string> {
  const res = await authedFetch(`/api/v1/workflows/${encodeURIComponent(w.id)}/export?format=${format}`);
  const blob = await res.blob();
  const name = fileNameFrom(res, `${w.name.replace(/[^A-Za-z0-9_-]+/g, "-")}.${format}`);
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  // Revoked on the next tick: some browsers start the download only after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 0);
  return name;
}
