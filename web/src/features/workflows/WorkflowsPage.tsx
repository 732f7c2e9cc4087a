import { PageHeader } from "@/components/ui/misc";

export function WorkflowsPage() {
  return <PageHeader title="WorkflowsPage" />;
}
