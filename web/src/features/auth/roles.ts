// Role checks for hiding what the gateway would refuse anyway: the server enforces RBAC, the
// UI only avoids offering buttons that can only fail. Roles are ordered weakest first.
import { useMe } from "@/api/queries";
import type { Role } from "@/api/types";

export const ROLES: readonly Role[] = ["viewer", "operator", "editor", "admin"];

/** Whether `role` is `min` or stronger; an unknown role (still loading) is not. */
export function atLeast(role: Role | null | undefined, min: Role): boolean {
  return !!role && ROLES.indexOf(role) >= ROLES.indexOf(min);
}

/** The signed-in principal's role, and `can(min)` to test it. */
export function useRole() {
  const me = useMe();
  const role = me.data?.role;
  return { role, me: me.data, isLoading: me.isLoading, error: me.error, can: (min: Role) => atLeast(role, min) };
}
