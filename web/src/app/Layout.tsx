import { NavLink, Outlet } from "react-router";
import { Activity, LayoutDashboard, LogOut, Settings, Workflow } from "lucide-react";
import { cn } from "@/lib/cn";
import { useLogout, useMe } from "@/api/queries";
import { Button } from "@/components/ui/button";

const nav = [
  { to: "/", label: "Dashboard", icon: LayoutDashboard, end: true },
  { to: "/workflows", label: "Workflows", icon: Workflow },
  { to: "/executions", label: "Executions", icon: Activity },
  { to: "/admin", label: "Admin", icon: Settings },
];

export function Layout() {
  const me = useMe();
  const logout = useLogout();
  return (
    <div className="flex h-full min-h-0">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:z-50 focus:bg-white focus:p-2">
        Skip to content
      </a>
      <aside className="flex w-14 shrink-0 flex-col border-r border-slate-200 bg-white md:w-52">
        <div className="flex h-14 items-center gap-2 px-3 font-semibold text-slate-900">
          <img src="/favicon.svg" alt="" className="size-7" />
          <span className="hidden md:inline">Weft</span>
        </div>
        <nav aria-label="Main" className="flex flex-1 flex-col gap-0.5 p-2">
          {nav.map(({ to, label, icon: Icon, end }) => (
            <NavLink
              key={to}
              to={to}
              end={end}
              title={label}
              className={({ isActive }) =>
                cn(
                  "flex items-center gap-2 rounded-md px-2 py-2 text-sm text-slate-700 hover:bg-slate-100 focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500",
                  isActive && "bg-indigo-50 font-medium text-indigo-800",
                )
              }
            >
              <Icon className="size-4 shrink-0" aria-hidden />
              <span className="hidden md:inline">{label}</span>
            </NavLink>
          ))}
        </nav>
        <div className="border-t border-slate-200 p-2">
          <div className="hidden truncate px-2 pb-1 text-xs text-slate-600 md:block" data-testid="whoami">
            {me.data?.username ?? me.data?.principal} · {me.data?.role}
          </div>
          <Button variant="ghost" size="sm" className="w-full justify-start" onClick={() => logout.mutate()} title="Log out">
            <LogOut aria-hidden /> <span className="hidden md:inline">Log out</span>
          </Button>
        </div>
      </aside>
      <main id="main" className="min-w-0 flex-1 overflow-auto p-4 md:p-6">
        <Outlet />
      </main>
    </div>
  );
}
