// Users and their roles (admin only).
import { useState } from "react";
import { UserPlus } from "lucide-react";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/confirm";
import { EmptyState, Spinner } from "@/components/ui/misc";
import { toast } from "@/components/ui/toast";
import { errorText } from "@/features/auth/errors";
import { useRole } from "@/features/auth/roles";
import { useDeleteUser, useUsers, type User } from "../api";
import { CreateUserDialog } from "./CreateUserDialog";
import { SetPasswordDialog } from "./SetPasswordDialog";
import { UserRow } from "./UserRow";

export function UsersTab() {
  const users = useUsers();
  const { me } = useRole();
  const [creating, setCreating] = useState(false);
  const [settingPassword, setSettingPassword] = useState<User | null>(null);
  const [deleting, setDeleting] = useState<User | null>(null);
  const del = useDeleteUser();
  const closeDelete = () => {
    del.reset();
    setDeleting(null);
  };

  return (
    <section aria-labelledby="users-title">
      <div className="mb-3 flex flex-wrap items-center justify-between gap-2">
        <h2 id="users-title" className="text-base font-semibold text-slate-900">Users</h2>
        <Button onClick={() => setCreating(true)}>
          <UserPlus aria-hidden /> Add user
        </Button>
      </div>
      {users.isPending ? (
        <Spinner label="Loading users" />
      ) : users.isError ? (
        <p role="alert" className="text-sm text-red-700">Could not load users: {errorText(users.error)}</p>
      ) : users.data.length === 0 ? (
        <EmptyState>No users.</EmptyState>
      ) : (
        <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
          <table className="w-full text-left text-sm">
            <caption className="sr-only">Users</caption>
            <thead className="border-b border-slate-200 bg-slate-50 text-xs uppercase tracking-wide text-slate-600">
              <tr>
                <th scope="col" className="px-3 py-2 font-medium">User</th>
                <th scope="col" className="px-3 py-2 font-medium">Role</th>
                <th scope="col" className="px-3 py-2 font-medium">Disabled</th>
                <th scope="col" className="hidden px-3 py-2 font-medium lg:table-cell">Created</th>
                <th scope="col" className="w-12 px-3 py-2"><span className="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {users.data.map((u) => (
                <UserRow key={u.id} user={u} isSelf={u.id === me?.user_id} onDelete={setDeleting} onSetPassword={setSettingPassword} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <CreateUserDialog open={creating} onOpenChange={setCreating} />
      <SetPasswordDialog user={settingPassword} onClose={() => setSettingPassword(null)} />
      <ConfirmDialog
        open={!!deleting}
        onOpenChange={(o) => !o && closeDelete()}
        title={`Delete ${deleting?.username ?? ""}?`}
        confirmLabel="Delete"
        pending={del.isPending}
        error={del.error ? errorText(del.error) : null}
        onConfirm={() =>
          deleting &&
          del.mutate(deleting.id, {
            onSuccess: () => {
              toast.success(`Deleted ${deleting.username}`);
              closeDelete();
            },
          })
        }
      >
        <p>Their sessions end and their API keys stop working. Workflows and credentials they made stay.</p>
      </ConfirmDialog>
    </section>
  );
}
