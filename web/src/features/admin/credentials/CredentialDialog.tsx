// Creates a credential or edits one. Name and kind are plain data and come prefilled; the
// value is write-only and starts empty every time.
import { useState, type FormEvent } from "react";
import { Dialog, DialogActions, DialogContent } from "@/components/ui/dialog";
import { FormField } from "@/components/ui/form";
import { FieldError, Input } from "@/components/ui/input";
import { toast } from "@/components/ui/toast";
import { formErrors } from "@/features/auth/errors";
import type { Credential } from "@/api/types";
import { useCreateCredential, useUpdateCredential } from "../api";
import { SecretValueInput, emptySecret, secretValue, type SecretDraft } from "./SecretValueInput";

/** Common kinds, offered as suggestions; any other text is allowed. */
const KINDS = ["http.bearer", "http.basic", "http.header", "api_key", "postgres", "mysql", "smtp", "slack", "openai"];

export function CredentialDialog({
  open,
  credential,
  onClose,
}: {
  open: boolean;
  /** The credential to edit; none to create one. */
  credential: Credential | null;
  onClose: () => void;
}) {
  return (
    <Dialog open={open} onOpenChange={(o) => !o && onClose()}>
      <DialogContent title={credential ? `Edit ${credential.name}` : "Add credential"}>
        {open && <CredentialForm credential={credential} done={onClose} />}
      </DialogContent>
    </Dialog>
  );
}

function CredentialForm({ credential, done }: { credential: Credential | null; done: () => void }) {
  const [name, setName] = useState(credential?.name ?? "");
  const [kind, setKind] = useState(credential?.kind ?? "");
  const [draft, setDraft] = useState<SecretDraft>(emptySecret);
  const [local, setLocal] = useState<{ name?: string; kind?: string; value?: string }>({});
  const create = useCreateCredential();
  const update = useUpdateCredential();
  const mutation = credential ? update : create;
  const server = formErrors(mutation.error, ["name", "kind", "value"] as const);
  const errors = { ...server.field, ...local };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const { value, error } = secretValue(draft);
    const next: typeof local = {};
    if (!name.trim()) next.name = "A name is required";
    if (!kind.trim()) next.kind = "A kind is required";
    if (error) next.value = error;
    else if (!credential && value === undefined) next.value = "A value is required";
    setLocal(next);
    if (Object.keys(next).length) return;

    const onSuccess = () => {
      toast.success(credential ? `Saved ${name.trim()}` : `Added ${name.trim()}`);
      done();
    };
    if (credential) {
      update.mutate(
        {
          id: credential.id,
          name: name.trim() !== credential.name ? name.trim() : undefined,
          kind: kind.trim() !== credential.kind ? kind.trim() : undefined,
          value,
        },
        { onSuccess },
      );
    } else {
      create.mutate({ name: name.trim(), kind: kind.trim(), value: value! }, { onSuccess });
    }
  };

  return (
    <form onSubmit={submit} noValidate className="space-y-3" autoComplete="off">
      <FormField id="cred-name" label="Name" help="Unique; workflows refer to the credential by it." error={errors.name}>
        <Input value={name} onChange={(e) => setName(e.target.value)} placeholder="stripe-api" autoFocus />
      </FormField>
      <FormField id="cred-kind" label="Kind" error={errors.kind}>
        <Input list="cred-kinds" value={kind} onChange={(e) => setKind(e.target.value)} placeholder="http.bearer" />
      </FormField>
      <datalist id="cred-kinds">
        {KINDS.map((k) => (
          <option key={k} value={k} />
        ))}
      </datalist>
      <SecretValueInput draft={draft} onChange={setDraft} error={errors.value} editing={!!credential} />
      <FieldError>{server.form}</FieldError>
      <DialogActions submitLabel={credential ? "Save" : "Add credential"} pendingLabel="Saving…" pending={mutation.isPending} />
    </form>
  );
}
