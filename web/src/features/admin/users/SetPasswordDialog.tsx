// An admin sets a new password for someone who lost theirs; their sessions end with it.
import { useState, type FormEvent } from "react";
import { Dialog, DialogActions, DialogContent } from "@/components/ui/dialog";
import { FormField } from "@/components/ui/form";
import { FieldError, Input } from "@/components/ui/input";
import { toast } from "@/components/ui/toast";
import { formErrors } from "@/features/auth/errors";
import type { User } from "@/api/types";
import { useUpdateUser } from "../api";

export function SetPasswordDialog({ user, onClose }: { user: User | null; onClose: () => void }) {
  return (
    <Dialog open={!!user} onOpenChange={(o) => !o && onClose()}>
      <DialogContent title={`Set a password for ${user?.username ?? ""}`} description="Their current sessions end; API keys keep working.">
        {user && <SetPasswordForm user={user} done={onClose} />}
      </DialogContent>
    </Dialog>
  );
}

function SetPasswordForm({ user, done }: { user: User; done: () => void }) {
  const [password, setPassword] = useState("");
  const [tooShort, setTooShort] = useState(false);
  const update = useUpdateUser();
  const server = formErrors(update.error, ["password"] as const);
  const error = tooShort ? "At least 12 characters" : server.field.password;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTooShort(password.length < 12);
    if (password.length < 12) return;
    update.mutate(
      { id: user.id, change: { password } },
      {
        onSuccess: () => {
          toast.success(`Password set for ${user.username}`);
          done();
        },
      },
    );
  };

  return (
    <form onSubmit={submit} noValidate className="space-y-3">
      <FormField id="set-password" label="New password" error={error}>
        <Input type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} autoFocus />
      </FormField>
      <FieldError>{server.form}</FieldError>
      <DialogActions submitLabel="Set password" pending={update.isPending} />
    </form>
  );
}
