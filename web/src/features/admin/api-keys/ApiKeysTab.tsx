// API keys: a user's own (an admin sees everyone's). The list never holds a key itself, only
// its first characters to tell keys apart.
import { useState } from "react";
import { Plus } from "lucide-react";
import { ConfirmItemDialog } from "@/components/ConfirmItemDialog";
import { RelativeTime, useNow } from "@/components/Time";
import { Button } from "@/components/ui/button";
import { Badge } from "@/components/ui/misc";
import { TBody, TD, TH, THead, TRow, Table } from "@/components/ui/table";
import { useRole } from "@/features/auth/roles";
import type { ApiKey } from "@/api/types";
import { useApiKeys, useRevokeApiKey, useUsers } from "../api";
import { ListSection } from "../ListSection";
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
  // Keys are made by users for themselves; an API key cannot mint more.
  const canCreate = !!me?.principal.startsWith("user:");

  return (
    <ListSection
      id="keys-title"
      title="API keys"
      description="For scripts and services calling the API. A key acts with its own role."
      action={
        canCreate &&
        role && (
          <Button onClick={() => setCreating(true)}>
            <Plus aria-hidden /> Create API key
          </Button>
        )
      }
      what="API keys"
      query={keys}
      empty="No API keys yet."
      list={(items) => (
        <Table caption="API keys">
          <THead>
            <TH>Name</TH>
            {isAdmin && <TH>Owner</TH>}
            <TH>Role</TH>
            <TH>State</TH>
            <TH className="hidden lg:table-cell">Created</TH>
            <TH className="hidden lg:table-cell">Expires</TH>
            <TH className="hidden xl:table-cell">Last used</TH>
            <TH><span className="sr-only">Actions</span></TH>
          </THead>
          <TBody>
            {items.map((k) => (
              <TRow key={k.id}>
                <TD>
                  <span className="font-medium text-slate-900">{k.name}</span>
                  <code className="ml-2 rounded bg-slate-100 px-1 py-0.5 font-mono text-xs text-slate-700">{k.prefix}…</code>
                </TD>
                {isAdmin && <TD className="text-slate-700">{users.data ? owner(k.created_by) : "…"}</TD>}
                <TD className="text-slate-700">{k.role}</TD>
                <TD><KeyState k={k} /></TD>
                <TD className="hidden text-slate-600 lg:table-cell"><RelativeTime ms={k.created_at} /></TD>
                <TD className="hidden text-slate-600 lg:table-cell">{k.expires_at ? <RelativeTime ms={k.expires_at} /> : "Never"}</TD>
                <TD className="hidden text-slate-600 xl:table-cell">{k.last_used_at ? <RelativeTime ms={k.last_used_at} /> : "Never"}</TD>
                <TD className="py-1.5 text-right">
                  {!k.revoked_at && (
                    <Button variant="ghost" size="sm" className="text-red-700 hover:bg-red-50" onClick={() => setRevoking(k)} aria-label={`Revoke ${k.name}`}>
                      Revoke
                    </Button>
                  )}
                </TD>
              </TRow>
            ))}
          </TBody>
        </Table>
      )}
    >
      {role && <CreateApiKeyDialog open={creating} onOpenChange={setCreating} maxRole={role} />}
      <ConfirmItemDialog
        item={revoking}
        onClose={() => setRevoking(null)}
        mutation={revoke}
        title={`Revoke ${revoking?.name ?? ""}?`}
        confirmLabel="Revoke"
        success={(k) => `Revoked ${k.name}`}
      >
        <p>Anything using this key is refused from now on. This cannot be undone.</p>
      </ConfirmItemDialog>
    </ListSection>
  );
}
