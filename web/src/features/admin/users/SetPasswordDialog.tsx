// An admin sets a new password for someone who lost theirs; their sessions end with it.
import { useState, type FormEvent } from "react";
import { Button } from "@/components/ui/button";
import { Dialog, DialogClose, DialogContent } from "@/components/ui/dialog";
import { FieldError, Input, Label } from "@/components/ui/input";
import { toast } from "@/components/ui/toast";
import { formErrors } from "@/features/auth/errors";
import { useUpdateUser, type User } from "../api";

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
      <div>
        <Label htmlFor="set-password">New password</Label>
        <Input
          id="set-password"
          type="password"
          autoComplete="new-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          aria-invalid={!!error}
          aria-describedby="set-password-error"
          autoFocus
        />
        <FieldError id="set-password-error">{error}</FieldError>
      </div>
      <FieldError>{server.form}</FieldError>
      <div className="flex justify-end gap-2 pt-2">
        <DialogClose asChild>
          <Button variant="secondary">Cancel</Button>
        </DialogClose>
        <Button type="submit" disabled={update.isPending}>
          Set password
        </Button>
      </div>
    </form>
  );
}
