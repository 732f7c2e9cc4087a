// The audit log (admin): every mutating request, newest first. Filters live in the URL so
// an investigation can be shared as a link.
import { useState, type FormEvent } from "react";
import { useSearchParams } from "react-router";
import { LoadMore } from "@/components/LoadMore";
import { Time } from "@/components/Time";
import { Button } from "@/components/ui/button";
import { FormField } from "@/components/ui/form";
import { Input } from "@/components/ui/input";
import { EmptyState, Spinner } from "@/components/ui/misc";
import { TBody, TD, TH, THead, TRow, Table } from "@/components/ui/table";
import { cn } from "@/lib/cn";
import { errorText } from "@/features/auth/errors";
import type { AuditEntry } from "@/api/types";
import { useAudit, type AuditFilter } from "../api";

const FILTERS: { name: FilterName; label: string; type?: "datetime-local"; placeholder?: string }[] = [
  { name: "principal", label: "Principal", placeholder: "user:admin" },
  { name: "action", label: "Action", placeholder: "POST /api/v1/workflows" },
  { name: "resource", label: "Resource", placeholder: "/api/v1/workflows" },
  { name: "since", label: "From", type: "datetime-local" },
  { name: "until", label: "Until", type: "datetime-local" },
];
type FilterName = "principal" | "action" | "resource" | "since" | "until";
const NAMES = FILTERS.map((f) => f.name);

/** A `datetime-local` value (local time, as typed) in Unix ms; undefined when empty or invalid. */
function toMs(local: string | null): number | undefined {
  if (!local) return undefined;
  const t = new Date(local).getTime();
  return Number.isNaN(t) ? undefined : t;
}

function filterFrom(params: URLSearchParams): AuditFilter {
  return {
    principal: params.get("principal") || undefined,
    action: params.get("action") || undefined,
    resource: params.get("resource") || undefined,
    since: toMs(params.get("since")),
    until: toMs(params.get("until")),
  };
}

function statusClass(s: number) {
  if (s >= 500) return "text-red-800 bg-red-50 border-red-300";
  if (s >= 400) return "text-amber-900 bg-amber-50 border-amber-300";
  return "text-emerald-800 bg-emerald-50 border-emerald-300";
}

function AuditRow({ e }: { e: AuditEntry }) {
  const hasDetail = e.detail && Object.keys(e.detail).length > 0;
  return (
    <TRow className="align-top">
      <TD className="min-w-28 text-slate-700">
        <Time ms={e.at} />
      </TD>
      <TD className="font-mono text-xs text-slate-800">{e.principal}</TD>
      <TD className="break-all font-mono text-xs text-slate-800">
        {e.action}
        {e.resource && e.resource !== e.action.split(" ")[1] && <div className="text-slate-600">{e.resource}</div>}
        {(hasDetail || e.request_id) && (
          <details className="mt-1">
            <summary className="cursor-pointer rounded text-indigo-700 focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500">Details</summary>
            {e.request_id && <p className="mt-1 text-slate-600">Request {e.request_id}</p>}
            {hasDetail && <pre className="mt-1 max-w-xl overflow-auto rounded bg-slate-50 p-2 text-xs">{JSON.stringify(e.detail, null, 2)}</pre>}
          </details>
        )}
      </TD>
      <TD>
        <span className={cn("inline-flex rounded border px-1.5 py-0.5 font-mono text-xs", statusClass(e.status))}>{e.status}</span>
      </TD>
      <TD className="hidden font-mono text-xs text-slate-600 lg:table-cell">{e.ip ?? "—"}</TD>
    </TRow>
  );
}

export function AuditTab() {
  const [params, setParams] = useSearchParams();
  const [draft, setDraft] = useState<Record<FilterName, string>>(
    () => Object.fromEntries(NAMES.map((n) => [n, params.get(n) ?? ""])) as Record<FilterName, string>,
  );
  const audit = useAudit(filterFrom(params));
  const entries = audit.data?.pages.flatMap((p) => p.items) ?? [];

  const apply = (e: FormEvent) => {
    e.preventDefault();
    const next = new URLSearchParams();
    for (const n of NAMES) if (draft[n].trim()) next.set(n, draft[n].trim());
    setParams(next);
  };
  const reset = () => {
    setDraft(Object.fromEntries(NAMES.map((n) => [n, ""])) as Record<FilterName, string>);
    setParams(new URLSearchParams());
  };

  return (
    <section aria-labelledby="audit-title">
      <h2 id="audit-title" className="mb-3 text-base font-semibold text-slate-900">Audit log</h2>
      <form onSubmit={apply} className="mb-4 grid gap-3 rounded-lg border border-slate-200 bg-white p-3 sm:grid-cols-2 lg:grid-cols-3" aria-label="Audit filters">
        {FILTERS.map((f) => (
          <FormField key={f.name} id={`audit-${f.name}`} label={f.label}>
            <Input
              type={f.type}
              value={draft[f.name]}
              placeholder={f.placeholder}
              onChange={(e) => setDraft({ ...draft, [f.name]: e.target.value })}
            />
          </FormField>
        ))}
        <div className="flex items-end gap-2">
          <Button type="submit">Apply filters</Button>
          <Button variant="secondary" onClick={reset}>Reset</Button>
        </div>
      </form>

      {audit.isPending ? (
        <Spinner label="Loading the audit log" />
      ) : !audit.data ? (
        <p role="alert" className="text-sm text-red-700">Could not load the audit log: {errorText(audit.error)}</p>
      ) : entries.length === 0 ? (
        <EmptyState>No audit entries match.</EmptyState>
      ) : (
        <>
          <Table caption="Audit log, newest first">
            <THead>
              <TH>Time</TH>
              <TH>Principal</TH>
              <TH>Action</TH>
              <TH>Status</TH>
              <TH className="hidden lg:table-cell">IP</TH>
            </THead>
            <TBody>
              {entries.map((e) => (
                <AuditRow key={e.id} e={e} />
              ))}
            </TBody>
          </Table>
          <LoadMore query={audit} />
        </>
      )}
    </section>
  );
}
