import { PageHeader } from "@/components/ui/misc";

export function AdminPage() {
  return <PageHeader title="AdminPage" />;
}
