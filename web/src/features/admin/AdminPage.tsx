// Administration (/admin/*): one tab per concern, each with its own URL so it can be linked
// and reloaded. Tabs the signed-in role cannot use are not offered; their URLs say why.
import { Navigate, NavLink, Route, Routes } from "react-router";
import { PageHeader, Spinner } from "@/components/ui/misc";
import { cn } from "@/lib/cn";
import { useRole } from "@/features/auth/roles";
import { errorText } from "@/features/auth/errors";
import type { Role } from "@/api/types";
import { UsersTab } from "./users/UsersTab";
import { ApiKeysTab } from "./api-keys/ApiKeysTab";
import { CredentialsTab } from "./credentials/CredentialsTab";
import { AuditTab } from "./audit/AuditTab";
import { AccountTab } from "./account/AccountTab";

const TABS: { path: string; label: string; min: Role; element: React.ReactNode }[] = [
  { path: "users", label: "Users", min: "admin", element: <UsersTab /> },
  { path: "api-keys", label: "API keys", min: "viewer", element: <ApiKeysTab /> },
  { path: "credentials", label: "Credentials", min: "editor", element: <CredentialsTab /> },
  { path: "audit", label: "Audit log", min: "admin", element: <AuditTab /> },
  { path: "account", label: "Account", min: "viewer", element: <AccountTab /> },
];

function NotAllowed({ min }: { min: Role }) {
  return (
    <p role="alert" className="rounded-lg border border-amber-200 bg-amber-50 p-4 text-sm text-amber-900">
      This section needs the {min} role.
    </p>
  );
}

export function AdminPage() {
  const { can, isLoading, role, error } = useRole();
  const tabs = TABS.filter((t) => can(t.min));

  return (
    <>
      <PageHeader title="Admin" />
      <nav aria-label="Admin sections" className="mb-5 flex flex-wrap gap-1 border-b border-slate-200">
        {tabs.map((t) => (
          <NavLink
            key={t.path}
            to={`/admin/${t.path}`}
            className={({ isActive }) =>
              cn(
                "-mb-px rounded-t border-b-2 border-transparent px-3 py-2 text-sm text-slate-600 hover:text-slate-900 focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500",
                isActive && "border-indigo-600 font-medium text-slate-900",
              )
            }
          >
            {t.label}
          </NavLink>
        ))}
      </nav>
      {error ? (
        <p role="alert" className="text-sm text-red-700">
          Could not load your account: {errorText(error)}
        </p>
      ) : isLoading || !role ? (
        <Spinner />
      ) : (
        <Routes>
          <Route index element={<Navigate to={can("admin") ? "users" : "api-keys"} replace />} />
          {TABS.map((t) => (
            <Route key={t.path} path={t.path} element={can(t.min) ? t.element : <NotAllowed min={t.min} />} />
          ))}
          <Route path="*" element={<Navigate to="/admin" replace />} />
        </Routes>
      )}
    </>
  );
}
