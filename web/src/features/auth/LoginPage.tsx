import { useState, type FormEvent } from "react";
import { useLocation, useNavigate } from "react-router";
import { useLogin } from "@/api/queries";
import { Button } from "@/components/ui/button";
import { FieldError, Input, Label } from "@/components/ui/input";
import { ApiError } from "@/api/problem";

export function LoginPage() {
  const [username, setUsername] = useState("admin");
  const [password, setPassword] = useState("");
  const [totp, setTotp] = useState("");
  const [needTotp, setNeedTotp] = useState(false);
  const login = useLogin();
  const navigate = useNavigate();
  const from = (useLocation().state as { from?: string } | null)?.from ?? "/";

  const submit = (e: FormEvent) => {
    e.preventDefault();
    login.mutate(
      { username, password, totp: totp || undefined },
      {
        onSuccess: () => navigate(from, { replace: true }),
        onError: (err) => {
          if (err instanceof ApiError && err.problem.code === "mfa_required") setNeedTotp(true);
        },
      },
    );
  };
  const error = login.error instanceof ApiError ? login.error.problem : null;

  return (
    <div className="flex min-h-full items-center justify-center p-4">
      <form onSubmit={submit} className="w-full max-w-sm rounded-lg border border-slate-200 bg-white p-6 shadow-sm" aria-labelledby="login-title">
        <div className="mb-5 flex items-center gap-2">
          <img src="/favicon.svg" alt="" className="size-8" />
          <h1 id="login-title" className="text-lg font-semibold">Sign in to Weft</h1>
        </div>
        <div className="space-y-3">
          <div>
            <Label htmlFor="username">Username</Label>
            <Input id="username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} required />
          </div>
          <div>
            <Label htmlFor="password">Password</Label>
            <Input id="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required autoFocus />
          </div>
          {needTotp && (
            <div>
              <Label htmlFor="totp">One-time code</Label>
              <Input id="totp" inputMode="numeric" autoComplete="one-time-code" value={totp} onChange={(e) => setTotp(e.target.value)} />
            </div>
          )}
          <FieldError>{error && (error.detail ?? error.title)}</FieldError>
          <Button type="submit" className="w-full" disabled={login.isPending}>
            {login.isPending ? "Signing in…" : "Sign in"}
          </Button>
        </div>
      </form>
    </div>
  );
}
