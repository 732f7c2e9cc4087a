// Renders a component the way the app does (TanStack Query, router, toasts) so feature tests
// exercise real hooks and navigation instead of mocks of them.
import type { ReactElement, ReactNode } from "react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { MemoryRouter, Route, Routes, useLocation } from "react-router";
import { render, type RenderResult } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Toaster } from "@/components/ui/toast";

export interface RenderOptions {
  /** The URL the router starts at, e.g. `/workflows?q=orders`. */
  route?: string;
  /** A route pattern to mount `ui` under (for `useParams`), e.g. `/workflows/:id`. Default: any URL. */
  path?: string;
  queryClient?: QueryClient;
}

export function makeTestQueryClient() {
  return new QueryClient({
    defaultOptions: {
      // A failing call should show its error at once rather than retry behind the test's back.
      queries: { retry: false, staleTime: 0, gcTime: Infinity },
      mutations: { retry: false },
    },
  });
}

/** Shows the router's current URL, so tests can assert where a navigation went. */
function LocationProbe() {
  const { pathname, search } = useLocation();
  return <output data-testid="location" hidden>{pathname + search}</output>;
}

export function renderWithProviders(
  ui: ReactElement,
  { route = "/", path, queryClient = makeTestQueryClient() }: RenderOptions = {},
): RenderResult & { queryClient: QueryClient; user: ReturnType<typeof userEvent.setup>; location: () => string } {
  const wrap = (children: ReactNode) => (
    <QueryClientProvider client={queryClient}>
      <MemoryRouter initialEntries={[route]}>
        <Routes>
          <Route path={path ?? "*"} element={children} />
          {path && <Route path="*" element={null} />}
        </Routes>
        <LocationProbe />
      </MemoryRouter>
      <Toaster />
    </QueryClientProvider>
  );
  const user = userEvent.setup();
  const result = render(wrap(ui));
  return {
    ...result,
    queryClient,
    user,
    location: () => result.getByTestId("location").textContent ?? "",
  };
}
