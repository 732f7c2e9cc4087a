// Confirms deleting a workflow and says what happens to executions already running on it.
import { ConfirmItemDialog } from "@/components/ConfirmItemDialog";
import { useDeleteWorkflow, type WorkflowListItem } from "./api";

export function DeleteWorkflowDialog({ workflow, onClose }: { workflow: WorkflowListItem | null; onClose: () => void }) {
  const del = useDeleteWorkflow();
  return (
    <ConfirmItemDialog
      item={workflow}
      onClose={onClose}
      mutation={del}
      title={`Delete “${workflow?.name ?? ""}”?`}
      confirmLabel="Delete"
      success={(w) => `Deleted “${w.name}”`}
    >
      <p>The workflow, all its versions and its webhook triggers are removed. This cannot be undone.</p>
      <p>Executions that are already running finish on the version they started with.</p>
    </ConfirmItemDialog>
  );
}
