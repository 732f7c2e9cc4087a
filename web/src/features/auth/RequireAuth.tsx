import { Navigate, Outlet, useLocation } from "react-router";
import { useAuth } from "@/api/auth";

/** Routes behind this need a session; without one the login page comes back here after. */
export function RequireAuth() {
  const tokens = useAuth((s) => s.tokens);
  const location = useLocation();
  if (!tokens) return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  return <Outlet />;
}
