import { PageHeader } from "@/components/ui/misc";

export function DashboardPage() {
  return <PageHeader title="DashboardPage" />;
}
