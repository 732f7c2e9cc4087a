// Confirms deleting a workflow and says what happens to executions already running on it.
import { ConfirmDialog } from "@/components/ui/confirm";
import { toast } from "@/components/ui/toast";
import { errorText } from "@/features/auth/errors";
import { useDeleteWorkflow, type WorkflowListItem } from "./api";

export function DeleteWorkflowDialog({ workflow, onClose }: { workflow: WorkflowListItem | null; onClose: () => void }) {
  const del = useDeleteWorkflow();
  const close = () => {
    del.reset();
    onClose();
  };
  return (
    <ConfirmDialog
      open={!!workflow}
      onOpenChange={(o) => !o && close()}
      title={`Delete “${workflow?.name ?? ""}”?`}
      confirmLabel="Delete"
      pending={del.isPending}
      error={del.error ? errorText(del.error) : null}
      onConfirm={() =>
        workflow &&
        del.mutate(workflow.id, {
          onSuccess: () => {
            toast.success(`Deleted “${workflow.name}”`);
            close();
          },
        })
      }
    >
      <p>The workflow, all its versions and its webhook triggers are removed. This cannot be undone.</p>
      <p>Executions that are already running finish on the version they started with.</p>
    </ConfirmDialog>
  );
}
