// Two-factor sign-in with a TOTP authenticator app: enrol (secret and otpauth URL, then a code
// to prove the app has it) or turn it off (with the password again).
import { useState, type FormEvent } from "react";
import { ShieldCheck } from "lucide-react";
import { Button } from "@/components/ui/button";
import { FormField } from "@/components/ui/form";
import { FieldError, Input } from "@/components/ui/input";
import { toast } from "@/components/ui/toast";
import { formErrors } from "@/features/auth/errors";
import type { MfaSetup } from "@/api/types";
import { useMfaDisable, useMfaEnable, useMfaSetup } from "../api";

export function MfaSection({ enabled }: { enabled: boolean }) {
  return (
    <section aria-labelledby="mfa-title" className="max-w-lg space-y-3">
      <h3 id="mfa-title" className="flex items-center gap-2 text-sm font-semibold text-slate-900">
        Two-factor authentication
        {enabled && (
          <span className="inline-flex items-center gap-1 rounded-full border border-emerald-300 bg-emerald-50 px-2 py-0.5 text-xs font-medium text-emerald-800">
            <ShieldCheck className="size-3" aria-hidden /> On
          </span>
        )}
      </h3>
      {enabled ? <DisableMfa /> : <EnrolMfa />}
    </section>
  );
}

function EnrolMfa() {
  const setup = useMfaSetup();
  if (!setup.data) {
    return (
      <div className="space-y-2">
        <p className="text-sm text-slate-600">Ask for a code from an authenticator app at every sign-in, on top of the password.</p>
        <Button variant="secondary" onClick={() => setup.mutate()} disabled={setup.isPending}>
          {setup.isPending ? "Starting…" : "Set up two-factor authentication"}
        </Button>
        <FieldError>{formErrors(setup.error, []).form}</FieldError>
      </div>
    );
  }
  return <ConfirmEnrolment setup={setup.data} onCancel={() => setup.reset()} />;
}

function ConfirmEnrolment({ setup, onCancel }: { setup: MfaSetup; onCancel: () => void }) {
  const [code, setCode] = useState("");
  const enable = useMfaEnable();
  const server = formErrors(enable.error, ["code", "setup_token"] as const);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    enable.mutate(
      { setup_token: setup.setup_token, code: code.replace(/\s/g, "") },
      { onSuccess: () => toast.success("Two-factor authentication is on") },
    );
  };

  return (
    <form onSubmit={submit} className="space-y-3 rounded-lg border border-slate-200 bg-slate-50 p-3">
      <ol className="list-decimal space-y-2 pl-5 text-sm text-slate-700">
        <li>
          Add this account to your authenticator app: open the link on this device, or type the key.
          <dl className="mt-1 space-y-1">
            <div>
              <dt className="text-xs font-medium text-slate-600">Setup link</dt>
              <dd>
                <a href={setup.otpauth_url} className="break-all font-mono text-xs text-indigo-700 underline">
                  {setup.otpauth_url}
                </a>
              </dd>
            </div>
            <div>
              <dt className="text-xs font-medium text-slate-600">Key</dt>
              <dd>
                <code className="select-all break-all rounded bg-white px-1.5 py-0.5 font-mono text-sm tracking-wider" data-testid="mfa-secret">
                  {setup.secret}
                </code>
              </dd>
            </div>
          </dl>
        </li>
        <li>Enter the 6-digit code the app shows.</li>
      </ol>
      <FormField id="mfa-code" label="Code" error={server.field.code} className="max-w-40">
        <Input inputMode="numeric" autoComplete="one-time-code" value={code} onChange={(e) => setCode(e.target.value)} />
      </FormField>
      <FieldError>{server.field.setup_token ? `${server.field.setup_token}. Start again.` : server.form}</FieldError>
      <div className="flex gap-2">
        <Button type="submit" disabled={enable.isPending || !code.trim()}>
          Turn on
        </Button>
        <Button variant="ghost" onClick={onCancel}>
          Cancel
        </Button>
      </div>
    </form>
  );
}

function DisableMfa() {
  const [password, setPassword] = useState("");
  const disable = useMfaDisable();
  const server = formErrors(disable.error, ["password"] as const);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    disable.mutate({ password }, { onSuccess: () => toast.success("Two-factor authentication is off") });
  };
  return (
    <form onSubmit={submit} className="space-y-2">
      <p className="text-sm text-slate-600">Sign-in asks for a code from your authenticator app. To turn this off, confirm your password.</p>
      <FormField id="mfa-off-password" label="Password" error={server.field.password} className="max-w-sm">
        <Input type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
      </FormField>
      <FieldError>{server.form}</FieldError>
      <Button variant="destructive" type="submit" disabled={disable.isPending || !password}>
        Turn off two-factor authentication
      </Button>
    </form>
  );
}
