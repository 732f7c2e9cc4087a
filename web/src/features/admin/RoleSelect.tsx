// A role picker with the roles explained, shared by users and API keys.
import type { SelectHTMLAttributes } from "react";
import { Select } from "@/components/ui/input";
import { ROLES } from "@/features/auth/roles";
import type { Role } from "@/api/types";

const ROLE_HELP: Record<Role, string> = {
  viewer: "reads everything but credentials and administration",
  operator: "also starts, cancels and retries executions",
  editor: "also changes workflows and credentials",
  admin: "also manages users, everyone's API keys and the audit log",
};

/** "Editor: also changes workflows and credentials." */
export function roleHelp(role: Role): string {
  return `${role[0].toUpperCase() + role.slice(1)}: ${ROLE_HELP[role]}.`;
}

export function RoleSelect({
  value,
  onChange,
  max = "admin",
  ...props
}: Omit<SelectHTMLAttributes<HTMLSelectElement>, "value" | "onChange"> & {
  value: Role;
  onChange: (r: Role) => void;
  /** The strongest role to offer. */
  max?: Role;
}) {
  const roles = ROLES.slice(0, ROLES.indexOf(max) + 1);
  return (
    <Select value={value} onChange={(e) => onChange(e.target.value as Role)} {...props}>
      {roles.map((r) => (
        <option key={r} value={r}>
          {r}
        </option>
      ))}
    </Select>
  );
}
