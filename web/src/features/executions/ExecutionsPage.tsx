import { PageHeader } from "@/components/ui/misc";

export function ExecutionsPage() {
  return <PageHeader title="ExecutionsPage" />;
}
