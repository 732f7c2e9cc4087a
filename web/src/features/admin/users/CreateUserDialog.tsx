// Adds a user with a first password and a role; the gateway checks the username's shape,
// the password's strength and that the name is free, and says which field is wrong.
import { useState, type FormEvent } from "react";
import { Dialog, DialogActions, DialogContent } from "@/components/ui/dialog";
import { FormField } from "@/components/ui/form";
import { FieldError, Input } from "@/components/ui/input";
import { toast } from "@/components/ui/toast";
import { formErrors } from "@/features/auth/errors";
import type { Role } from "@/api/types";
import { useCreateUser } from "../api";
import { RoleSelect, roleHelp } from "../RoleSelect";

const MIN_PASSWORD = 12;

export function CreateUserDialog({ open, onOpenChange }: { open: boolean; onOpenChange: (o: boolean) => void }) {
  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent title="Add user">{open && <CreateUserForm done={() => onOpenChange(false)} />}</DialogContent>
    </Dialog>
  );
}

function CreateUserForm({ done }: { done: () => void }) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const [local, setLocal] = useState<{ username?: string; password?: string }>({});
  const create = useCreateUser();
  const server = formErrors(create.error, ["username", "password", "role"] as const);
  const errors = { ...server.field, ...local };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const next: typeof local = {};
    if (!username.trim()) next.username = "A username is required";
    if (password.length < MIN_PASSWORD) next.password = `At least ${MIN_PASSWORD} characters`;
    setLocal(next);
    if (Object.keys(next).length) return;
    create.mutate(
      { username: username.trim(), password, role },
      {
        onSuccess: (u) => {
          toast.success(`Added ${u.username}`);
          done();
        },
      },
    );
  };

  return (
    <form onSubmit={submit} noValidate className="space-y-3">
      <FormField id="new-username" label="Username" help="Letters, digits, “.”, “_”, “-” and “@”." error={errors.username}>
        <Input autoComplete="off" value={username} onChange={(e) => setUsername(e.target.value)} autoFocus />
      </FormField>
      <FormField id="new-password" label="Password" error={errors.password}>
        <Input type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />
      </FormField>
      <FormField id="new-role" label="Role" help={roleHelp(role)} error={errors.role}>
        <RoleSelect value={role} onChange={setRole} />
      </FormField>
      <FieldError>{server.form}</FieldError>
      <DialogActions submitLabel="Add user" pendingLabel="Adding…" pending={create.isPending} />
    </form>
  );
}
