// Credentials that nodes use (tokens, passwords), listed without their values (editor+).
import { useState } from "react";
import { Pencil, Plus, Trash2 } from "lucide-react";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/confirm";
import { EmptyState, Spinner } from "@/components/ui/misc";
import { toast } from "@/components/ui/toast";
import { errorText } from "@/features/auth/errors";
import { RelativeTime } from "@/features/workflows/time";
import { useCredentials, useDeleteCredential, type Credential } from "../api";
import { CredentialDialog } from "./CredentialDialog";

export function CredentialsTab() {
  const creds = useCredentials();
  const [editing, setEditing] = useState<{ credential: Credential | null } | null>(null);
  const [deleting, setDeleting] = useState<Credential | null>(null);
  const del = useDeleteCredential();
  const closeDelete = () => {
    del.reset();
    setDeleting(null);
  };

  return (
    <section aria-labelledby="creds-title">
      <div className="mb-3 flex flex-wrap items-center justify-between gap-2">
        <div>
          <h2 id="creds-title" className="text-base font-semibold text-slate-900">Credentials</h2>
          <p className="text-sm text-slate-600">Secrets for nodes. Values are encrypted and write-only.</p>
        </div>
        <Button onClick={() => setEditing({ credential: null })}>
          <Plus aria-hidden /> Add credential
        </Button>
      </div>
      {creds.isPending ? (
        <Spinner label="Loading credentials" />
      ) : creds.isError ? (
        <p role="alert" className="text-sm text-red-700">Could not load credentials: {errorText(creds.error)}</p>
      ) : creds.data.length === 0 ? (
        <EmptyState>No credentials yet.</EmptyState>
      ) : (
        <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
          <table className="w-full text-left text-sm">
            <caption className="sr-only">Credentials</caption>
            <thead className="border-b border-slate-200 bg-slate-50 text-xs uppercase tracking-wide text-slate-600">
              <tr>
                <th scope="col" className="px-3 py-2 font-medium">Name</th>
                <th scope="col" className="px-3 py-2 font-medium">Kind</th>
                <th scope="col" className="hidden px-3 py-2 font-medium lg:table-cell">Created</th>
                <th scope="col" className="px-3 py-2 font-medium">Updated</th>
                <th scope="col" className="px-3 py-2"><span className="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {creds.data.map((c) => (
                <tr key={c.id} className="hover:bg-slate-50">
                  <td className="px-3 py-2 font-medium text-slate-900">{c.name}</td>
                  <td className="px-3 py-2"><code className="font-mono text-xs text-slate-700">{c.kind}</code></td>
                  <td className="hidden px-3 py-2 text-slate-600 lg:table-cell"><RelativeTime ms={c.created_at} /></td>
                  <td className="px-3 py-2 text-slate-600"><RelativeTime ms={c.updated_at} /></td>
                  <td className="whitespace-nowrap px-3 py-1.5 text-right">
                    <Button variant="ghost" size="icon" aria-label={`Edit ${c.name}`} onClick={() => setEditing({ credential: c })}>
                      <Pencil aria-hidden />
                    </Button>
                    <Button variant="ghost" size="icon" aria-label={`Delete ${c.name}`} className="text-red-700 hover:bg-red-50" onClick={() => setDeleting(c)}>
                      <Trash2 aria-hidden />
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <CredentialDialog open={!!editing} credential={editing?.credential ?? null} onClose={() => setEditing(null)} />
      <ConfirmDialog
        open={!!deleting}
        onOpenChange={(o) => !o && closeDelete()}
        title={`Delete ${deleting?.name ?? ""}?`}
        confirmLabel="Delete"
        pending={del.isPending}
        error={del.error ? errorText(del.error) : null}
        onConfirm={() =>
          deleting &&
          del.mutate(deleting.id, {
            onSuccess: () => {
              toast.success(`Deleted ${deleting.name}`);
              closeDelete();
            },
          })
        }
      >
        <p>Its encrypted value is destroyed. Anything that refers to it by name can no longer use it.</p>
      </ConfirmDialog>
    </section>
  );
}
