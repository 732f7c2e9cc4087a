// API keys: a user's own (an admin sees everyone's). The list never holds a key itself, only
// its first characters to tell keys apart.
import { useState } from "react";
import { Plus } from "lucide-react";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/confirm";
import { Badge, EmptyState, Spinner } from "@/components/ui/misc";
import { toast } from "@/components/ui/toast";
import { errorText } from "@/features/auth/errors";
import { useRole } from "@/features/auth/roles";
import { RelativeTime, useNow } from "@/features/workflows/time";
import { useApiKeys, useRevokeApiKey, useUsers, type ApiKey } from "../api";
import { CreateApiKeyDialog } from "./CreateApiKeyDialog";

function KeyState({ k }: { k: ApiKey }) {
  const now = useNow();
  if (k.revoked_at) return <Badge className="border-slate-300 bg-slate-100 text-slate-700">Revoked</Badge>;
  if (k.expires_at && k.expires_at <= now) return <Badge className="border-orange-300 bg-orange-50 text-orange-800">Expired</Badge>;
  return <Badge className="border-emerald-300 bg-emerald-50 text-emerald-800">Active</Badge>;
}

export function ApiKeysTab() {
  const keys = useApiKeys();
  const { role, me, can } = useRole();
  // Admins see every key, so they need to know whose each is; others only see their own.
  const isAdmin = can("admin");
  const users = useUsers(isAdmin);
  const owner = (id: string) => users.data?.find((u) => u.id === id)?.username ?? "deleted user";
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const revoke = useRevokeApiKey();
  const closeRevoke = () => {
    revoke.reset();
    setRevoking(null);
  };
  // Keys are made by users for themselves; an API key cannot mint more.
  const canCreate = !!me?.principal.startsWith("user:");

  return (
    <section aria-labelledby="keys-title">
      <div className="mb-3 flex flex-wrap items-center justify-between gap-2">
        <div>
          <h2 id="keys-title" className="text-base font-semibold text-slate-900">API keys</h2>
          <p className="text-sm text-slate-600">For scripts and services calling the API. A key acts with its own role.</p>
        </div>
        {canCreate && role && (
          <Button onClick={() => setCreating(true)}>
            <Plus aria-hidden /> Create API key
          </Button>
        )}
      </div>
      {keys.isPending ? (
        <Spinner label="Loading API keys" />
      ) : keys.isError ? (
        <p role="alert" className="text-sm text-red-700">Could not load API keys: {errorText(keys.error)}</p>
      ) : keys.data.length === 0 ? (
        <EmptyState>No API keys yet.</EmptyState>
      ) : (
        <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
          <table className="w-full text-left text-sm">
            <caption className="sr-only">API keys</caption>
            <thead className="border-b border-slate-200 bg-slate-50 text-xs uppercase tracking-wide text-slate-600">
              <tr>
                <th scope="col" className="px-3 py-2 font-medium">Name</th>
                {isAdmin && <th scope="col" className="px-3 py-2 font-medium">Owner</th>}
                <th scope="col" className="px-3 py-2 font-medium">Role</th>
                <th scope="col" className="px-3 py-2 font-medium">State</th>
                <th scope="col" className="hidden px-3 py-2 font-medium lg:table-cell">Created</th>
                <th scope="col" className="hidden px-3 py-2 font-medium lg:table-cell">Expires</th>
                <th scope="col" className="hidden px-3 py-2 font-medium xl:table-cell">Last used</th>
                <th scope="col" className="px-3 py-2"><span className="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {keys.data.map((k) => (
                <tr key={k.id} className="hover:bg-slate-50">
                  <td className="px-3 py-2">
                    <span className="font-medium text-slate-900">{k.name}</span>
                    <code className="ml-2 rounded bg-slate-100 px-1 py-0.5 font-mono text-xs text-slate-700">{k.prefix}…</code>
                  </td>
                  {isAdmin && <td className="px-3 py-2 text-slate-700">{users.data ? owner(k.created_by) : "…"}</td>}
                  <td className="px-3 py-2 text-slate-700">{k.role}</td>
                  <td className="px-3 py-2"><KeyState k={k} /></td>
                  <td className="hidden px-3 py-2 text-slate-600 lg:table-cell"><RelativeTime ms={k.created_at} /></td>
                  <td className="hidden px-3 py-2 text-slate-600 lg:table-cell">{k.expires_at ? <RelativeTime ms={k.expires_at} /> : "Never"}</td>
                  <td className="hidden px-3 py-2 text-slate-600 xl:table-cell">{k.last_used_at ? <RelativeTime ms={k.last_used_at} /> : "Never"}</td>
                  <td className="px-3 py-1.5 text-right">
                    {!k.revoked_at && (
                      <Button variant="ghost" size="sm" className="text-red-700 hover:bg-red-50" onClick={() => setRevoking(k)} aria-label={`Revoke ${k.name}`}>
                        Revoke
                      </Button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {role && <CreateApiKeyDialog open={creating} onOpenChange={setCreating} maxRole={role} />}
      <ConfirmDialog
        open={!!revoking}
        onOpenChange={(o) => !o && closeRevoke()}
        title={`Revoke ${revoking?.name ?? ""}?`}
        confirmLabel="Revoke"
        pending={revoke.isPending}
        error={revoke.error ? errorText(revoke.error) : null}
        onConfirm={() =>
          revoking &&
          revoke.mutate(revoking.id, {
            onSuccess: () => {
              toast.success(`Revoked ${revoking.name}`);
              closeRevoke();
            },
          })
        }
      >
        <p>Anything using this key is refused from now on. This cannot be undone.</p>
      </ConfirmDialog>
    </section>
  );
}
