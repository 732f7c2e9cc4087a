// Creates an API key, then shows its secret this one time: the gateway keeps only a hash,
// so once the dialog closes nobody can see the key again.
import { useState, type FormEvent } from "react";
import { Check, Copy, TriangleAlert } from "lucide-react";
import { Button } from "@/components/ui/button";
import { Dialog, DialogClose, DialogContent } from "@/components/ui/dialog";
import { FieldError, Input, Label, Select } from "@/components/ui/input";
import { formErrors } from "@/features/auth/errors";
import type { Role } from "@/api/types";
import { useCreateApiKey, type CreatedApiKey } from "../api";
import { ROLE_HELP, RoleSelect } from "../RoleSelect";

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
      <div>
        <Label htmlFor="key-name">Name</Label>
        <Input
          id="key-name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          placeholder="ci-deploy"
          aria-invalid={!!nameError}
          aria-describedby="key-name-error"
          autoFocus
        />
        <FieldError id="key-name-error">{nameError}</FieldError>
      </div>
      <div>
        <Label htmlFor="key-role">Role</Label>
        <RoleSelect id="key-role" value={role} onChange={setRole} max={maxRole} aria-describedby="key-role-help" />
        <p id="key-role-help" className="mt-1 text-xs text-slate-600">
          {role[0].toUpperCase() + role.slice(1)}: {ROLE_HELP[role]}. At most your own role.
        </p>
        <FieldError>{server.field.role}</FieldError>
      </div>
      <div>
        <Label htmlFor="key-expiry">Expires</Label>
        <Select id="key-expiry" value={days} onChange={(e) => setDays(Number(e.target.value))}>
          {EXPIRY.map((o) => (
            <option key={o.days} value={o.days}>
              {o.days ? `In ${o.label}` : o.label}
            </option>
          ))}
        </Select>
        <FieldError>{server.field.expires_at}</FieldError>
      </div>
      <FieldError>{server.form}</FieldError>
      <div className="flex justify-end gap-2 pt-2">
        <DialogClose asChild>
          <Button variant="secondary">Cancel</Button>
        </DialogClose>
        <Button type="submit" disabled={create.isPending}>
          {create.isPending ? "Creating…" : "Create key"}
        </Button>
      </div>
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
      <div>
        <Label htmlFor="key-secret">API key</Label>
        <div className="mt-1 flex gap-2">
          <Input
            id="key-secret"
            readOnly
            value={created.secret}
            className="font-mono text-xs"
            onFocus={(e) => e.currentTarget.select()}
          />
          <Button variant="secondary" onClick={() => void copy()} aria-label="Copy API key">
            {copied ? <Check aria-hidden /> : <Copy aria-hidden />}
            {copied ? "Copied" : "Copy"}
          </Button>
        </div>
        {copyFailed && <FieldError>Could not copy; select the key and copy it by hand.</FieldError>}
        <p className="mt-1 text-xs text-slate-600">
          Send it as <code>Authorization: Bearer …</code> or <code>X-API-Key</code>.
        </p>
      </div>
      <div className="flex justify-end pt-2">
        <DialogClose asChild>
          <Button>Done</Button>
        </DialogClose>
      </div>
    </div>
  );
}
