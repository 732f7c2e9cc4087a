// Credentials that nodes use (tokens, passwords), listed without their values (editor+).
import { useState } from "react";
import { Pencil, Plus, Trash2 } from "lucide-react";
import { ConfirmItemDialog } from "@/components/ConfirmItemDialog";
import { RelativeTime } from "@/components/Time";
import { Button } from "@/components/ui/button";
import { TBody, TD, TH, THead, TRow, Table } from "@/components/ui/table";
import type { Credential } from "@/api/types";
import { useCredentials, useDeleteCredential } from "../api";
import { ListSection } from "../ListSection";
import { CredentialDialog } from "./CredentialDialog";

export function CredentialsTab() {
  const creds = useCredentials();
  const [editing, setEditing] = useState<{ credential: Credential | null } | null>(null);
  const [deleting, setDeleting] = useState<Credential | null>(null);
  const del = useDeleteCredential();

  return (
    <ListSection
      id="creds-title"
      title="Credentials"
      description="Secrets for nodes. Values are encrypted and write-only."
      action={
        <Button onClick={() => setEditing({ credential: null })}>
          <Plus aria-hidden /> Add credential
        </Button>
      }
      what="credentials"
      query={creds}
      empty="No credentials yet."
      list={(items) => (
        <Table caption="Credentials">
          <THead>
            <TH>Name</TH>
            <TH>Kind</TH>
            <TH className="hidden lg:table-cell">Created</TH>
            <TH>Updated</TH>
            <TH><span className="sr-only">Actions</span></TH>
          </THead>
          <TBody>
            {items.map((c) => (
              <TRow key={c.id}>
                <TD className="font-medium text-slate-900">{c.name}</TD>
                <TD><code className="font-mono text-xs text-slate-700">{c.kind}</code></TD>
                <TD className="hidden text-slate-600 lg:table-cell"><RelativeTime ms={c.created_at} /></TD>
                <TD className="text-slate-600"><RelativeTime ms={c.updated_at} /></TD>
                <TD className="whitespace-nowrap py-1.5 text-right">
                  <Button variant="ghost" size="icon" aria-label={`Edit ${c.name}`} onClick={() => setEditing({ credential: c })}>
                    <Pencil aria-hidden />
                  </Button>
                  <Button variant="ghost" size="icon" aria-label={`Delete ${c.name}`} className="text-red-700 hover:bg-red-50" onClick={() => setDeleting(c)}>
                    <Trash2 aria-hidden />
                  </Button>
                </TD>
              </TRow>
            ))}
          </TBody>
        </Table>
      )}
    >
      <CredentialDialog open={!!editing} credential={editing?.credential ?? null} onClose={() => setEditing(null)} />
      <ConfirmItemDialog
        item={deleting}
        onClose={() => setDeleting(null)}
        mutation={del}
        title={`Delete ${deleting?.name ?? ""}?`}
        confirmLabel="Delete"
        success={(c) => `Deleted ${c.name}`}
      >
        <p>Its encrypted value is destroyed. Anything that refers to it by name can no longer use it.</p>
      </ConfirmItemDialog>
    </ListSection>
  );
}
