// One user: role and disabled state change inline (the gateway may refuse, e.g. demoting the
// last admin, and the control then shows the stored value again), rarer actions in a menu.
import { KeyRound, LockOpen, MoreHorizontal, ShieldOff, Trash2 } from "lucide-react";
import { Button } from "@/components/ui/button";
import { Badge, DropdownMenu, DropdownMenuContent, DropdownMenuItem, DropdownMenuTrigger, Switch } from "@/components/ui/misc";
import { toast } from "@/components/ui/toast";
import { errorText } from "@/features/auth/errors";
import { TD, TRow } from "@/components/ui/table";
import { RelativeTime, useNow } from "@/components/Time";
import { formatDateTime } from "@/lib/format";
import type { Role, User, UserChange } from "@/api/types";
import { useUpdateUser } from "../api";
import { RoleSelect } from "../RoleSelect";

export function UserRow({
  user,
  isSelf,
  onDelete,
  onSetPassword,
}: {
  user: User;
  isSelf: boolean;
  onDelete: (u: User) => void;
  onSetPassword: (u: User) => void;
}) {
  const update = useUpdateUser();
  const change = (c: UserChange, done: string) =>
    update.mutate(
      { id: user.id, change: c },
      {
        onSuccess: () => toast.success(done),
        onError: (e) => toast.error(`${user.username}: ${errorText(e)}`),
      },
    );
  // While a change is in flight show where it is going; on failure the stored value returns.
  const pending = update.isPending ? update.variables?.change : undefined;
  const role = (pending?.role ?? user.role) as Role;
  const disabled = pending?.disabled ?? user.disabled;
  const now = useNow();
  const locked = !!user.locked_until && user.locked_until > now;

  return (
    <TRow data-testid={`user-row-${user.username}`}>
      <TD>
        <span className="font-medium text-slate-900">{user.username}</span>
        {isSelf && <span className="ml-1.5 text-xs text-slate-600">(you)</span>}
        <div className="mt-0.5 flex flex-wrap gap-1">
          {user.mfa_enabled && <Badge className="border-emerald-300 bg-emerald-50 text-emerald-800">MFA</Badge>}
          {locked && (
            <Badge className="border-amber-300 bg-amber-50 text-amber-900" title={`Until ${formatDateTime(user.locked_until!)}`}>
              Locked
            </Badge>
          )}
        </div>
      </TD>
      <TD>
        <RoleSelect
          aria-label={`Role of ${user.username}`}
          value={role}
          onChange={(r) => change({ role: r }, `${user.username} is now ${r}`)}
          disabled={update.isPending}
          className="h-8 w-32"
        />
      </TD>
      <TD>
        <Switch
          aria-label={`Disable ${user.username}`}
          checked={disabled}
          disabled={update.isPending}
          onCheckedChange={(d) => change({ disabled: d }, d ? `${user.username} is disabled` : `${user.username} is enabled`)}
        />
      </TD>
      <TD className="hidden text-slate-600 lg:table-cell">
        <RelativeTime ms={user.created_at} />
      </TD>
      <TD className="py-1.5 text-right">
        <DropdownMenu>
          <DropdownMenuTrigger asChild>
            <Button variant="ghost" size="icon" aria-label={`Actions for ${user.username}`}>
              <MoreHorizontal aria-hidden />
            </Button>
          </DropdownMenuTrigger>
          <DropdownMenuContent>
            <DropdownMenuItem onSelect={() => onSetPassword(user)}>
              <KeyRound aria-hidden /> Set password…
            </DropdownMenuItem>
            {user.mfa_enabled && (
              <DropdownMenuItem onSelect={() => change({ mfa_enabled: false }, `MFA turned off for ${user.username}`)}>
                <ShieldOff aria-hidden /> Turn off MFA
              </DropdownMenuItem>
            )}
            {locked && (
              <DropdownMenuItem onSelect={() => change({ unlock: true }, `${user.username} is unlocked`)}>
                <LockOpen aria-hidden /> Unlock
              </DropdownMenuItem>
            )}
            <DropdownMenuItem onSelect={() => onDelete(user)} className="text-red-700 data-[highlighted]:bg-red-50">
              <Trash2 aria-hidden /> Delete…
            </DropdownMenuItem>
          </DropdownMenuContent>
        </DropdownMenu>
      </TD>
    </TRow>
  );
}
