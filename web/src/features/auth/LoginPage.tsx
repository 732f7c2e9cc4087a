// Sign-in. The password comes first; the one-time code field appears only when the gateway
// answers `mfa_required`. Each refusal gets words a person can act on.
import { useState, type FormEvent } from "react";
import { Navigate, useLocation, useNavigate } from "react-router";
import { useLogin } from "@/api/queries";
import { useAuth } from "@/api/auth";
import { Button } from "@/components/ui/button";
import { FormField } from "@/components/ui/form";
import { FieldError, Input } from "@/components/ui/input";
import { ApiError, type Problem } from "@/api/problem";

/** What went wrong, and which field it belongs to (`totp`) or the form as a whole. */
export function loginError(p: Problem): { field?: "totp"; message: string } {
  if (p.code === "mfa_required") return { field: "totp", message: "Enter the code from your authenticator app" };
  if (p.status === 401 && p.field === "totp") return { field: "totp", message: "That code is not right; try the current one" };
  if (p.status === 401) return { message: "Invalid username or password" };
  if (p.status === 429) {
    const secs = p.retry_after ?? Number(/(\d+)\s*s\b/.exec(p.detail ?? "")?.[1] ?? NaN);
    const wait = Number.isFinite(secs) ? `in ${secs} second${secs === 1 ? "" : "s"}` : "in a moment";
    return { message: `Too many sign-in attempts. Try again ${wait}.` };
  }
  return { message: p.detail || p.title };
}

export function LoginPage() {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [totp, setTotp] = useState("");
  const [needTotp, setNeedTotp] = useState(false);
  const login = useLogin();
  const navigate = useNavigate();
  const signedIn = useAuth((s) => !!s.tokens);
  const from = (useLocation().state as { from?: string } | null)?.from ?? "/";

  // Already signed in (another tab, the back button): nothing to do here.
  if (signedIn && !login.isPending && !login.isSuccess) return <Navigate to={from} replace />;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    login.mutate(
      { username, password, totp: needTotp && totp ? totp.replace(/\s/g, "") : undefined },
      {
        onSuccess: () => navigate(from, { replace: true }),
        onError: (err) => {
          if (err instanceof ApiError && err.problem.code === "mfa_required") setNeedTotp(true);
        },
      },
    );
  };
  const error = login.error instanceof ApiError ? loginError(login.error.problem) : login.error ? { message: "Could not reach the server" } : null;
  const totpError = error?.field === "totp" ? error.message : undefined;
  const formError = error && !error.field ? error.message : undefined;

  return (
    <div className="flex min-h-full items-center justify-center p-4">
      <form onSubmit={submit} className="w-full max-w-sm rounded-lg border border-slate-200 bg-white p-6 shadow-sm" aria-labelledby="login-title">
        <div className="mb-5 flex items-center gap-2">
          <img src="/favicon.svg" alt="" className="size-8" />
          <h1 id="login-title" className="text-lg font-semibold">Sign in to Weft</h1>
        </div>
        <div className="space-y-3">
          <FormField id="username" label="Username">
            <Input autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} required autoFocus />
          </FormField>
          <FormField id="password" label="Password">
            <Input type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
          </FormField>
          {needTotp && (
            // Not marked invalid while empty: asking for the code is not a mistake.
            <FormField id="totp" label="One-time code" error={totpError} invalid={!!totpError && !!totp}>
              <Input inputMode="numeric" autoComplete="one-time-code" value={totp} onChange={(e) => setTotp(e.target.value)} autoFocus />
            </FormField>
          )}
          <FieldError>{formError}</FieldError>
          <Button type="submit" className="w-full" disabled={login.isPending}>
            {login.isPending ? "Signing in…" : "Sign in"}
          </Button>
        </div>
      </form>
    </div>
  );
}
