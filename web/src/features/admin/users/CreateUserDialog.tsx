// Adds a user with a first password and a role; the gateway checks the username's shape,
// the password's strength and that the name is free, and says which field is wrong.
import { useState, type FormEvent } from "react";
import { Button } from "@/components/ui/button";
import { Dialog, DialogClose, DialogContent } from "@/components/ui/dialog";
import { FieldError, Input, Label } from "@/components/ui/input";
import { toast } from "@/components/ui/toast";
import { formErrors } from "@/features/auth/errors";
import type { Role } from "@/api/types";
import { useCreateUser } from "../api";
import { ROLE_HELP, RoleSelect } from "../RoleSelect";

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
      <div>
        <Label htmlFor="new-username">Username</Label>
        <Input
          id="new-username"
          autoComplete="off"
          value={username}
          onChange={(e) => setUsername(e.target.value)}
          aria-invalid={!!errors.username}
          aria-describedby="new-username-help new-username-error"
          autoFocus
        />
        <p id="new-username-help" className="mt-1 text-xs text-slate-600">Letters, digits, “.”, “_”, “-” and “@”.</p>
        <FieldError id="new-username-error">{errors.username}</FieldError>
      </div>
      <div>
        <Label htmlFor="new-password">Password</Label>
        <Input
          id="new-password"
          type="password"
          autoComplete="new-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          aria-invalid={!!errors.password}
          aria-describedby="new-password-error"
        />
        <FieldError id="new-password-error">{errors.password}</FieldError>
      </div>
      <div>
        <Label htmlFor="new-role">Role</Label>
        <RoleSelect id="new-role" value={role} onChange={setRole} aria-describedby="new-role-help" />
        <p id="new-role-help" className="mt-1 text-xs text-slate-600">
          {role[0].toUpperCase() + role.slice(1)}: {ROLE_HELP[role]}.
        </p>
        <FieldError>{errors.role}</FieldError>
      </div>
      <FieldError>{server.form}</FieldError>
      <div className="flex justify-end gap-2 pt-2">
        <DialogClose asChild>
          <Button variant="secondary">Cancel</Button>
        </DialogClose>
        <Button type="submit" disabled={create.isPending}>
          {create.isPending ? "Adding…" : "Add user"}
        </Button>
      </div>
    </form>
  );
}
