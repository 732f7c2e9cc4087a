import { PageHeader } from "@/components/ui/misc";

export function ExecutionPage() {
  return <PageHeader title="ExecutionPage" />;
}
