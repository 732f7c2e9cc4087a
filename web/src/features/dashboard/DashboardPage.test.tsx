import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import { DashboardPage } from "./DashboardPage";
import { durationTicks } from "./Charts";
import { renderWithProviders } from "@/test/render";
import { me, mockApi, problem, signIn } from "@/test/mockApi";
import { useAuth } from "@/api/auth";
import { EXECUTION_ID, WORKFLOW_ID, demoExecution } from "@/features/executions/testFixtures";

const HOUR = 3_600_000;

function stats(over: Record<string, unknown> = {}) {
  const to = Date.now();
  const from = to - 24 * HOUR;
  return {
    from,
    to,
    bucket_ms: HOUR,
    running: 3,
    waiting: 2,
    queued: 7,
    started: 120,
    succeeded: 100,
    failed: 12,
    cancelled: 3,
    timed_out: 5,
    p50_duration_ms: 2_300,
    p95_duration_ms: 185_000,
    series: Array.from({ length: 24 }, (_, i) => ({
      at: from + i * HOUR,
      started: i === 20 ? 40 : 3,
      succeeded: i === 20 ? 30 : 3,
      failed: i === 21 ? 9 : 0,
      cancelled: 0,
      timed_out: 0,
      avg_duration_ms: i % 2 ? 1_500.5 : null,
      max_duration_ms: i % 2 ? 4_000 : null,
    })),
    ...over,
  };
}

function setup(route = "/", over: Record<string, unknown> = {}) {
  signIn("viewer");
  const failed = demoExecution({
    status: "failed",
    finished_at: Date.now() - 60_000,
    error: { kind: "permanent", message: "connection refused", node: "boom" },
  });
  const m = mockApi({
    "GET /api/v1/auth/me": () => me("viewer"),
    "GET /api/v1/stats": () => stats(over),
    "GET /api/v1/workflows": () => ({ items: [{ id: WORKFLOW_ID, name: "demo-loop", tags: [], latest_version: 1, created_at: 0, updated_at: 0 }] }),
    "GET /api/v1/executions": (req) => ({ items: req.query.get("status") === "failed" ? [failed] : [demoExecution()], next_cursor: null }),
  });
  const r = renderWithProviders(<DashboardPage />, { route });
  return { m, ...r };
}

describe("DashboardPage", () => {
  beforeEach(() => useAuth.getState().clear());
  afterEach(() => vi.unstubAllGlobals());

  it("shows the KPIs from the stats response", async () => {
    setup();
    const figures = await screen.findByLabelText("Key figures");
    expect(figures).toBeInTheDocument();
    expect(within(screen.getByTestId("kpi-running")).getByText("3")).toBeInTheDocument();
    expect(within(screen.getByTestId("kpi-running")).getByText("2 waiting")).toBeInTheDocument();
    expect(within(screen.getByTestId("kpi-queued")).getByText("7")).toBeInTheDocument();
    expect(within(screen.getByTestId("kpi-succeeded")).getByText("100")).toBeInTheDocument();
    // 100 of 120 finished (100 + 12 + 5 + 3).
    expect(within(screen.getByTestId("kpi-succeeded")).getByText(/83\.3% of finished/)).toBeInTheDocument();
    expect(within(screen.getByTestId("kpi-failed")).getByText("12")).toBeInTheDocument();
    expect(within(screen.getByTestId("kpi-failed")).getByText("5 timed out, 3 cancelled")).toBeInTheDocument();
    expect(within(screen.getByTestId("kpi-p95")).getByText("3 min 5 s")).toBeInTheDocument();
    expect(within(screen.getByTestId("kpi-p95")).getByText("p50 2.3 s")).toBeInTheDocument();
  });

  it("summarises each chart in words and in a table", async () => {
    setup();
    const throughput = await screen.findByRole("figure", { name: "Throughput" });
    expect(throughput).toHaveAccessibleDescription(/120 started and 100 succeeded, last 24 hours\. Busiest interval: .* with 40 started\./);
    const table = within(throughput).getByRole("table", { name: /Throughput, per interval/ });
    expect(within(table).getAllByRole("row")).toHaveLength(25);
    expect(screen.getByRole("figure", { name: "Failures" })).toHaveAccessibleDescription(/12 failed and 5 timed out.*with 9\./);
    expect(screen.getByRole("figure", { name: "Durations" })).toHaveAccessibleDescription("p95 3 min 5 s, p50 2.3 s; longest run 4 s.");
  });

  it("asks for the chosen range and keeps it in the URL", async () => {
    const { m, user, location } = setup();
    await screen.findByTestId("kpi-running");
    const first = m.requests("GET /api/v1/stats")[0].query;
    expect(Number(first.get("to")) - Number(first.get("from"))).toBe(24 * HOUR);
    expect(first.get("buckets")).toBe("24");
    expect(screen.getByRole("button", { name: "24h" })).toHaveAttribute("aria-pressed", "true");

    await user.click(screen.getByRole("button", { name: "7d" }));
    expect(screen.getByRole("button", { name: "7d" })).toHaveAttribute("aria-pressed", "true");
    expect(screen.getByRole("button", { name: "24h" })).toHaveAttribute("aria-pressed", "false");
    await waitFor(() => expect(m.requests("GET /api/v1/stats")).toHaveLength(2));
    const week = m.requests("GET /api/v1/stats")[1].query;
    expect(Number(week.get("to")) - Number(week.get("from"))).toBe(7 * 24 * HOUR);
    expect(week.get("buckets")).toBe("28");
    expect(location()).toBe("/?range=7d");
    // Recent failures follow the range too.
    await waitFor(() =>
      expect(m.requests("GET /api/v1/executions").some((r) => r.query.get("status") === "failed" && r.query.has("from"))).toBe(true),
    );
  });

  it("lists recent executions and failures with links", async () => {
    setup("/?range=1h");
    expect(screen.getByRole("button", { name: "1h" })).toHaveAttribute("aria-pressed", "true");
    const recent = await screen.findByRole("table", { name: "Recent executions" });
    expect(within(recent).getByRole("link", { name: /^Execution / })).toHaveAttribute("href", `/executions/${EXECUTION_ID}`);
    expect(await within(recent).findByRole("link", { name: "demo-loop" })).toHaveAttribute("href", `/workflows/${WORKFLOW_ID}`);
    const failures = screen.getByRole("region", { name: "Recent failures" });
    const link = await within(failures).findByRole("link", { name: /connection refused/ });
    expect(link).toHaveAttribute("href", `/executions/${EXECUTION_ID}`);
    expect(link).toHaveTextContent("boom: connection refused");
  });

  it("says why the figures could not be loaded", async () => {
    signIn("viewer");
    mockApi({
      "GET /api/v1/auth/me": () => me("viewer"),
      "GET /api/v1/stats": () => problem(400, "bad_request", "buckets must be at most 500", { field: "buckets" }),
      "GET /api/v1/workflows": () => ({ items: [] }),
      "GET /api/v1/executions": () => ({ items: [] }),
    });
    renderWithProviders(<DashboardPage />);
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Could not load the figures: buckets must be at most 500");
    expect(alert).toHaveTextContent("field buckets");
  });
});

describe("durationTicks", () => {
  it("steps at round durations up past the largest value", () => {
    expect(durationTicks(600_000)).toEqual([0, 300_000, 600_000]);
    expect(durationTicks(610_000)).toEqual([0, 300_000, 600_000, 900_000]);
    expect(durationTicks(4_000)).toEqual([0, 1_000, 2_000, 3_000, 4_000]);
    expect(durationTicks(0)).toEqual([0]);
  });
});
