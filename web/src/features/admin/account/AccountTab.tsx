// The signed-in person's own account: who they are, their password and two-factor sign-in.
// API keys and external identities have no password here, so they only see who they are.
import { useRole } from "@/features/auth/roles";
import { PasswordForm } from "./PasswordForm";
import { MfaSection } from "./MfaSection";

export function AccountTab() {
  const { me } = useRole();
  if (!me) return null;
  const isUser = me.principal.startsWith("user:");
  return (
    <section aria-labelledby="account-title" className="space-y-6">
      <div>
        <h2 id="account-title" className="text-base font-semibold text-slate-900">Account</h2>
        <dl className="mt-2 grid max-w-md grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
          <dt className="text-slate-600">Signed in as</dt>
          <dd className="font-medium text-slate-900">{me.username ?? me.principal}</dd>
          <dt className="text-slate-600">Role</dt>
          <dd className="text-slate-900">{me.role}</dd>
        </dl>
      </div>
      {isUser ? (
        <>
          <PasswordForm />
          <hr className="border-slate-200" />
          <MfaSection enabled={me.mfa_enabled} />
        </>
      ) : (
        <p className="text-sm text-slate-600">This identity has no password or two-factor settings in Weft.</p>
      )}
    </section>
  );
}
