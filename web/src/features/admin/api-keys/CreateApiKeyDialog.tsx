// Creates an API key, then shows its secret this one time: the gateway keeps only a hash,
// so once the dialog closes nobody can see the key again.
import { useState, type FormEvent } from "react";
import { Check, Copy, TriangleAlert } from "lucide-react";
import { Button } from "@/components/ui/button";
import { Dialog, DialogActions, DialogClose, DialogContent } from "@/components/ui/dialog";
import { FormField } from "@/components/ui/form";
import { FieldError, Input, Select } from "@/components/ui/input";
import { formErrors } from "@/features/auth/errors";
import type { CreatedApiKey, Role } from "@/api/types";
import { useCreateApiKey } from "../api";
import { RoleSelect, roleHelp } from "../RoleSelect";

const DAY_MS = 86_400_000;
const EXPIRY = [
  { label: "Never", days: 0 },
  { label: "7 days", days: 7 },
  { label: "30 days", days: 30 },
  { label: "90 days", days: 90 },
  { label: "1 year", days: 365 },
];

export function CreateApiKeyDialog({
  open,
  onOpenChange,
  maxRole,
}: {
  open: boolean;
  onOpenChange: (o: boolean) => void;
  /** A key can have at most its creator's role. */
  maxRole: Role;
}) {
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const change = (o: boolean) => {
    // Forget the secret as soon as the dialog closes.
    if (!o) setCreated(null);
    onOpenChange(o);
  };
  return (
    <Dialog open={open} onOpenChange={change}>
      <DialogContent title={created ? "Copy your API key" : "Create API key"}>
        {open && (created ? <SecretOnce created={created} /> : <CreateApiKeyForm maxRole={maxRole} onCreated={setCreated} />)}
      </DialogContent>
    </Dialog>
  );
}

function CreateApiKeyForm({ maxRole, onCreated }: { maxRole: Role; onCreated: (k: CreatedApiKey) => void }) {
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>(maxRole === "admin" ? "operator" : maxRole);
  const [days, setDays] = useState(90);
  const [missing, setMissing] = useState(false);
  const create = useCreateApiKey();
  const server = formErrors(create.error, ["name", "role", "expires_at"] as const);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setMissing(!name.trim());
    if (!name.trim()) return;
    create.mutate(
      { name: name.trim(), role, expires_at: days ? Date.now() + days * DAY_MS : null },
      { onSuccess: onCreated },
    );
  };

  const nameError = missing ? "A name is required" : server.field.name;
  return (
    <form onSubmit={submit} noValidate className="space-y-3">
      <FormField id="key-name" label="Name" error={nameError}>
        <Input value={name} onChange={(e) => setName(e.target.value)} placeholder="ci-deploy" autoFocus />
      </FormField>
      <FormField id="key-role" label="Role" help={`${roleHelp(role)} At most your own role.`} error={server.field.role}>
        <RoleSelect value={role} onChange={setRole} max={maxRole} />
      </FormField>
      <FormField id="key-expiry" label="Expires" error={server.field.expires_at}>
        <Select value={days} onChange={(e) => setDays(Number(e.target.value))}>
          {EXPIRY.map((o) => (
            <option key={o.days} value={o.days}>
              {o.days ? `In ${o.label}` : o.label}
            </option>
          ))}
        </Select>
      </FormField>
      <FieldError>{server.form}</FieldError>
      <DialogActions submitLabel="Create key" pendingLabel="Creating…" pending={create.isPending} />
    </form>
  );
}

function SecretOnce({ created }: { created: CreatedApiKey }) {
  const [copied, setCopied] = useState(false);
  const [copyFailed, setCopyFailed] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(created.secret);
      setCopied(true);
      setCopyFailed(false);
    } catch {
      // No clipboard permission (or not a secure context): the field is selectable instead.
      setCopyFailed(true);
    }
  };
  return (
    <div className="space-y-3">
      <p className="flex gap-2 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900">
        <TriangleAlert className="mt-0.5 size-4 shrink-0" aria-hidden />
        <span>
          This is the only time the key <strong>{created.name}</strong> is shown. Copy it now and keep it somewhere safe; it cannot
          be shown again.
        </span>
      </p>
      <FormField
        id="key-secret"
        label="API key"
        help={
          <>
            Send it as <code>Authorization: Bearer …</code> or <code>X-API-Key</code>.
          </>
        }
        error={copyFailed && "Could not copy; select the key and copy it by hand."}
        invalid={false}
      >
        {(control) => (
          <div className="mt-1 flex gap-2">
            <Input {...control} readOnly value={created.secret} className="font-mono text-xs" onFocus={(e) => e.currentTarget.select()} />
            <Button variant="secondary" onClick={() => void copy()} aria-label="Copy API key">
              {copied ? <Check aria-hidden /> : <Copy aria-hidden />}
              {copied ? "Copied" : "Copy"}
            </Button>
          </div>
        )}
      </FormField>
      <div className="flex justify-end pt-2">
        <DialogClose asChild>
          <Button>Done</Button>
        </DialogClose>
      </div>
    </div>
  );
}
