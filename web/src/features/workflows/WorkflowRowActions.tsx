// The per-row menu (a radix DropdownMenu: arrow keys, Enter and Escape work). Duplicate and
// export run from here; delete asks first, so the page owns its dialog.
import { useNavigate } from "react-router";
import { Copy, Download, ExternalLink, MoreHorizontal, Trash2 } from "lucide-react";
import { Button } from "@/components/ui/button";
import { DropdownMenu, DropdownMenuContent, DropdownMenuItem, DropdownMenuTrigger } from "@/components/ui/misc";
import { toast } from "@/components/ui/toast";
import { errorText } from "@/features/auth/errors";
import { exportWorkflow, useDuplicateWorkflow, type DefinitionFormat, type WorkflowListItem } from "./api";

export function WorkflowRowActions({
  workflow,
  canEdit,
  onDelete,
}: {
  workflow: WorkflowListItem;
  canEdit: boolean;
  onDelete: (w: WorkflowListItem) => void;
}) {
  const navigate = useNavigate();
  const duplicate = useDuplicateWorkflow();

  const runExport = (format: DefinitionFormat) =>
    exportWorkflow(workflow, format).then(
      (file) => toast.success(`Exported ${file}`),
      (e: unknown) => toast.error(`Export failed: ${errorText(e)}`),
    );

  const runDuplicate = () =>
    duplicate.mutate(workflow, {
      onSuccess: (w) => toast.success(`Created “${w.name}”`),
      onError: (e) => toast.error(`Could not duplicate “${workflow.name}”: ${errorText(e)}`),
    });

  return (
    <DropdownMenu>
      <DropdownMenuTrigger asChild>
        <Button variant="ghost" size="icon" aria-label={`Actions for ${workflow.name}`}>
          <MoreHorizontal aria-hidden />
        </Button>
      </DropdownMenuTrigger>
      <DropdownMenuContent>
        <DropdownMenuItem onSelect={() => navigate(`/workflows/${workflow.id}`)}>
          <ExternalLink aria-hidden /> Open
        </DropdownMenuItem>
        {canEdit && (
          <DropdownMenuItem onSelect={runDuplicate} disabled={duplicate.isPending}>
            <Copy aria-hidden /> Duplicate
          </DropdownMenuItem>
        )}
        <DropdownMenuItem onSelect={() => void runExport("json")}>
          <Download aria-hidden /> Export JSON
        </DropdownMenuItem>
        <DropdownMenuItem onSelect={() => void runExport("yaml")}>
          <Download aria-hidden /> Export YAML
        </DropdownMenuItem>
        {canEdit && (
          <DropdownMenuItem onSelect={() => onDelete(workflow)} className="text-red-700 data-[highlighted]:bg-red-50">
            <Trash2 aria-hidden /> Delete
          </DropdownMenuItem>
        )}
      </DropdownMenuContent>
    </DropdownMenu>
  );
}
