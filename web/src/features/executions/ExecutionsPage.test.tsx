import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { act, screen, waitFor, within } from "@testing-library/react";
import { ExecutionsPage } from "./ExecutionsPage";
import { renderWithProviders } from "@/test/render";
import { me, mockApi, signIn, type MockRequest } from "@/test/mockApi";
import { useAuth } from "@/api/auth";
import { FakeSocket } from "./testSocket";
import { patchPages } from "./useLiveExecutions";
import { EXECUTION_ID, T0, WORKFLOW_ID, demoExecution } from "./testFixtures";

const OTHER_WF = "01a2215a-0000-7000-8000-0000000000bb";
const running = demoExecution({ status: "running", last_seq: 3 });
const older = demoExecution({
  id: "01a2215a-0000-7000-8000-0000000000e2",
  workflow_id: OTHER_WF,
  version: 4,
  status: "succeeded",
  created_at: T0 - 3_600_000,
  finished_at: T0 - 3_600_000 + 185_000,
  last_seq: 9,
});
const workflows = [
  { id: WORKFLOW_ID, name: "demo-loop", tags: [], latest_version: 1, created_at: 0, updated_at: 0 },
  { id: OTHER_WF, name: "nightly-report", tags: [], latest_version: 4, created_at: 0, updated_at: 0 },
];

function setup(route = "/executions", list: (req: MockRequest) => unknown = () => ({ items: [running, older], next_cursor: null })) {
  signIn("viewer");
  const m = mockApi({
    "GET /api/v1/auth/me": () => me("viewer"),
    "GET /api/v1/workflows": () => ({ items: workflows }),
    "GET /api/v1/executions": list,
  });
  const r = renderWithProviders(<ExecutionsPage />, { route });
  return { m, ...r };
}

describe("ExecutionsPage", () => {
  beforeEach(() => {
    useAuth.getState().clear();
    FakeSocket.all = [];
    vi.stubGlobal("WebSocket", FakeSocket);
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it("lists executions with workflow names, status, start and duration", async () => {
    setup();
    const row = await screen.findByTestId(`execution-row-${older.id}`);
    expect(within(row).getByRole("link", { name: "Execution 000000e2" })).toHaveAttribute("href", `/executions/${older.id}`);
    expect(await within(row).findByRole("link", { name: "nightly-report" })).toHaveAttribute("href", `/workflows/${OTHER_WF}`);
    expect(within(row).getByText("v4")).toBeInTheDocument();
    expect(within(row).getByText("succeeded")).toBeInTheDocument();
    expect(within(row).getByText("3 min 5 s")).toBeInTheDocument();
    expect(within(row).getByRole("time")).toHaveAttribute("title");
  });

  it("filters from the URL and writes changes back to it", async () => {
    const { m, user, location } = setup(`/executions?workflow=${WORKFLOW_ID}&status=failed&range=7d`);
    await screen.findByRole("table", { name: "Executions" });
    await waitFor(() => expect(m.requests("GET /api/v1/executions")).toHaveLength(1));
    const q = m.requests("GET /api/v1/executions")[0].query;
    expect(q.get("workflow_id")).toBe(WORKFLOW_ID);
    expect(q.get("status")).toBe("failed");
    expect(Date.now() - Number(q.get("from"))).toBeGreaterThanOrEqual(7 * 86_400_000);
    expect(Date.now() - Number(q.get("from"))).toBeLessThan(7 * 86_400_000 + 60_000);
    expect(q.has("to")).toBe(false);
    expect(await screen.findByLabelText("Workflow")).toHaveValue(WORKFLOW_ID);
    expect(screen.getByLabelText("Status")).toHaveValue("failed");
    expect(screen.getByLabelText("Started")).toHaveValue("7d");

    await user.selectOptions(screen.getByLabelText("Status"), "");
    await user.selectOptions(screen.getByLabelText("Started"), "1h");
    await waitFor(() => expect(location()).toBe(`/executions?workflow=${WORKFLOW_ID}&range=1h`));
    const last = m.requests("GET /api/v1/executions").at(-1)!.query;
    expect(last.has("status")).toBe(false);
    expect(Date.now() - Number(last.get("from"))).toBeLessThan(3_600_000 + 60_000);
  });

  it("offers to clear filters that match nothing", async () => {
    const { user, location } = setup("/executions?status=cancelled", () => ({ items: [] }));
    await user.click(await screen.findByRole("button", { name: "Clear filters" }));
    await waitFor(() => expect(location()).toBe("/executions"));
  });

  it("loads the next page with the cursor", async () => {
    const { m, user } = setup("/executions", (req) =>
      req.query.get("cursor") ? { items: [older] } : { items: [running], next_cursor: running.id },
    );
    await screen.findByTestId(`execution-row-${EXECUTION_ID}`);
    await user.click(screen.getByRole("button", { name: "Load more" }));
    expect(await screen.findByTestId(`execution-row-${older.id}`)).toBeInTheDocument();
    expect(m.requests("GET /api/v1/executions").at(-1)!.query.get("cursor")).toBe(running.id);
    expect(screen.queryByRole("button", { name: "Load more" })).not.toBeInTheDocument();
  });

  it("updates row status live from the multiplexed socket", async () => {
    const { m } = setup();
    const row = await screen.findByTestId(`execution-row-${EXECUTION_ID}`);
    await waitFor(() => expect(FakeSocket.all).toHaveLength(1));
    const ws = FakeSocket.latest();
    expect(ws.url).toMatch(/\/api\/v1\/ws\?access_token=access-viewer$/);
    act(() => ws.open());
    await waitFor(() =>
      expect(ws.sent).toEqual(
        expect.arrayContaining([
          { op: "subscribe", workflow_id: WORKFLOW_ID },
          { op: "subscribe", workflow_id: OTHER_WF },
        ]),
      ),
    );
    const event = (seq: number, type: string, data: Record<string, unknown> = {}) => ({
      op: "event",
      execution_id: EXECUTION_ID,
      workflow_id: WORKFLOW_ID,
      event: { seq, type, node_id: null, at: T0 + seq, data },
    });
    act(() => ws.message(event(4, "signal_awaited", { node: "approve", name: "approval" })));
    expect(await within(row).findByText("waiting")).toBeInTheDocument();
    act(() => ws.message(event(9, "execution_finished", { status: "succeeded" })));
    expect(await within(row).findByText("succeeded")).toBeInTheDocument();
    const listed = m.requests("GET /api/v1/executions").length;

    // A run the list does not have yet brings a refresh so it shows up.
    act(() =>
      ws.message({ ...event(1, "execution_started"), execution_id: "01a2215a-0000-7000-8000-0000000000e3" }),
    );
    await waitFor(() => expect(m.requests("GET /api/v1/executions").length).toBe(listed + 1), { timeout: 2000 });
    expect(screen.getByTestId("live-indicator")).toHaveTextContent("Live");
  });

  it("falls back to polling when the socket keeps failing", async () => {
    setup();
    await screen.findByTestId(`execution-row-${EXECUTION_ID}`);
    await waitFor(() => expect(FakeSocket.all).toHaveLength(1));
    act(() => FakeSocket.latest().serverClose(1006));
    // The first reconnect comes after a short backoff; it fails too.
    await waitFor(() => expect(FakeSocket.all).toHaveLength(2), { timeout: 3000 });
    act(() => FakeSocket.latest().serverClose(1006));
    expect(await screen.findByText("Refreshing every 5 s")).toBeInTheDocument();
  });
});

describe("patchPages", () => {
  const pages = { pages: [{ items: [running, older] }], pageParams: [undefined] };
  const ev = (seq: number, type: string, data: Record<string, unknown> = {}) => ({ seq, type, at: T0 + seq, data });

  it("patches the row the event is about and nothing else", () => {
    const r = patchPages(pages, EXECUTION_ID, ev(7, "execution_finished", { status: "failed" }));
    expect(r.found).toBe(true);
    expect(r.data!.pages[0].items[0]).toMatchObject({ status: "failed", finished_at: T0 + 7, last_seq: 7 });
    expect(r.data!.pages[0].items[1]).toBe(older);
  });

  it("ignores events older than what the row shows", () => {
    const r = patchPages(pages, older.id, ev(5, "execution_retried"));
    expect(r.found).toBe(true);
    expect(r.data!.pages[0].items[1].status).toBe("succeeded");
  });

  it("says when the execution is not in the list", () => {
    expect(patchPages(pages, "nope", ev(1, "execution_started")).found).toBe(false);
    expect(patchPages(undefined, EXECUTION_ID, ev(1, "execution_started")).found).toBe(false);
  });
});
