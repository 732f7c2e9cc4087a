// Users and their roles (admin only).
import { useState } from "react";
import { UserPlus } from "lucide-react";
import { Button } from "@/components/ui/button";
import { ConfirmItemDialog } from "@/components/ConfirmItemDialog";
import { TBody, TH, THead, Table } from "@/components/ui/table";
import { useRole } from "@/features/auth/roles";
import type { User } from "@/api/types";
import { useDeleteUser, useUsers } from "../api";
import { ListSection } from "../ListSection";
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

  return (
    <ListSection
      id="users-title"
      title="Users"
      action={
        <Button onClick={() => setCreating(true)}>
          <UserPlus aria-hidden /> Add user
        </Button>
      }
      what="users"
      query={users}
      empty="No users."
      list={(items) => (
        <Table caption="Users">
          <THead>
            <TH>User</TH>
            <TH>Role</TH>
            <TH>Disabled</TH>
            <TH className="hidden lg:table-cell">Created</TH>
            <TH className="w-12"><span className="sr-only">Actions</span></TH>
          </THead>
          <TBody>
            {items.map((u) => (
              <UserRow key={u.id} user={u} isSelf={u.id === me?.user_id} onDelete={setDeleting} onSetPassword={setSettingPassword} />
            ))}
          </TBody>
        </Table>
      )}
    >
      <CreateUserDialog open={creating} onOpenChange={setCreating} />
      <SetPasswordDialog user={settingPassword} onClose={() => setSettingPassword(null)} />
      <ConfirmItemDialog
        item={deleting}
        onClose={() => setDeleting(null)}
        mutation={del}
        title={`Delete ${deleting?.username ?? ""}?`}
        confirmLabel="Delete"
        success={(u) => `Deleted ${u.username}`}
      >
        <p>Their sessions end and their API keys stop working. Workflows and credentials they made stay.</p>
      </ConfirmItemDialog>
    </ListSection>
  );
}
