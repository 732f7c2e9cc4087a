// Changes the signed-in user's own password. The gateway ends every session of the account
// with it; the hook signs this tab in again so the person is not thrown out mid-task.
import { useState, type FormEvent } from "react";
import { Button } from "@/components/ui/button";
import { FormField } from "@/components/ui/form";
import { FieldError, Input } from "@/components/ui/input";
import { toast } from "@/components/ui/toast";
import { formErrors } from "@/features/auth/errors";
import { useAuth } from "@/api/auth";
import { useChangePassword } from "../api";

const MIN = 12;

export function PasswordForm() {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [confirm, setConfirm] = useState("");
  const [local, setLocal] = useState<{ new_password?: string; confirm?: string }>({});
  const change = useChangePassword();
  const username = useAuth((s) => s.username);
  const server = formErrors(change.error, ["current_password", "new_password"] as const);
  const errors = { ...server.field, ...local };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const v: typeof local = {};
    if (next.length < MIN) v.new_password = `At least ${MIN} characters`;
    if (confirm !== next) v.confirm = "The passwords do not match";
    setLocal(v);
    if (Object.keys(v).length) return;
    change.mutate(
      { current_password: current, new_password: next },
      {
        onSuccess: ({ relogged }) => {
          setCurrent("");
          setNext("");
          setConfirm("");
          toast.success(
            relogged
              ? "Password changed. Your other sessions have been signed out."
              : "Password changed. Sign in again with the new password when this session ends.",
          );
        },
      },
    );
  };

  const fields = [
    { id: "current-password", label: "Current password", autoComplete: "current-password", value: current, set: setCurrent, error: errors.current_password },
    { id: "new-own-password", label: "New password", autoComplete: "new-password", value: next, set: setNext, error: errors.new_password },
    { id: "confirm-password", label: "Repeat new password", autoComplete: "new-password", value: confirm, set: setConfirm, error: errors.confirm },
  ];

  return (
    <form onSubmit={submit} noValidate className="max-w-sm space-y-3" aria-labelledby="password-title">
      <h3 id="password-title" className="text-sm font-semibold text-slate-900">Change password</h3>
      {/* Tells password managers whose password this is, so they update the right entry. */}
      <input type="text" name="username" autoComplete="username" value={username ?? ""} readOnly hidden />
      {fields.map((f) => (
        <FormField key={f.id} id={f.id} label={f.label} error={f.error}>
          <Input type="password" autoComplete={f.autoComplete} value={f.value} onChange={(e) => f.set(e.target.value)} required />
        </FormField>
      ))}
      <FieldError>{server.form}</FieldError>
      <Button type="submit" disabled={change.isPending}>
        {change.isPending ? "Changing…" : "Change password"}
      </Button>
    </form>
  );
}
