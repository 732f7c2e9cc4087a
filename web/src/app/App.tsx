import { QueryClientProvider } from "@tanstack/react-query";
import { BrowserRouter, Navigate, Route, Routes } from "react-router";
import { useState } from "react";
import { makeQueryClient } from "./queryClient";
import { Layout } from "./Layout";
import { RequireAuth } from "@/features/auth/RequireAuth";
import { LoginPage } from "@/features/auth/LoginPage";
import { DashboardPage } from "@/features/dashboard/DashboardPage";
import { WorkflowsPage } from "@/features/workflows/WorkflowsPage";
import { DesignerPage } from "@/features/designer/DesignerPage";
import { ExecutionsPage } from "@/features/executions/ExecutionsPage";
import { ExecutionPage } from "@/features/executions/ExecutionPage";
import { AdminPage } from "@/features/admin/AdminPage";
import { Toaster } from "@/components/ui/toast";

export function App() {
  const [client] = useState(makeQueryClient);
  return (
    <QueryClientProvider client={client}>
      <BrowserRouter>
        <Routes>
          <Route path="/login" element={<LoginPage />} />
          <Route element={<RequireAuth />}>
            <Route element={<Layout />}>
              <Route index element={<DashboardPage />} />
              <Route path="workflows" element={<WorkflowsPage />} />
              <Route path="executions" element={<ExecutionsPage />} />
              <Route path="executions/:id" element={<ExecutionPage />} />
              <Route path="admin/*" element={<AdminPage />} />
            </Route>
            {/* The designer takes the whole window: it has its own header. */}
            <Route path="workflows/:id" element={<DesignerPage />} />
          </Route>
          <Route path="*" element={<Navigate to="/" replace />} />
        </Routes>
      </BrowserRouter>
      <Toaster />
    </QueryClientProvider>
  );
}
