import { PageHeader } from "@/components/ui/misc";

export function DesignerPage() {
  return <PageHeader title="DesignerPage" />;
}
