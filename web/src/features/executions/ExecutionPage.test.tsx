import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { act, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { ExecutionPage } from "./ExecutionPage";
import { renderWithProviders } from "@/test/render";
import { me, mockApi, signIn } from "@/test/mockApi";
import { useAuth } from "@/api/auth";
import { installReactFlowDomShims } from "@/features/canvas/testing";
import nodes from "@/test/fixtures/nodes.json";
import { FakeSocket } from "./testSocket";
import { EXECUTION_ID, WORKFLOW_ID, demoEvents, demoExecution, demoVersion, eventsUpTo } from "./testFixtures";
import type { ExecutionRecord } from "./types";

const BASE = `/api/v1/executions/${EXECUTION_ID}`;

function setup(role: "viewer" | "operator", execution: ExecutionRecord = demoExecution(), route = `/executions/${EXECUTION_ID}`) {
  signIn(role);
  const m = mockApi({
    "GET /api/v1/auth/me": () => me(role),
    "GET /api/v1/nodes": () => ({ items: nodes }),
    [`GET ${BASE}`]: () => execution,
    [`GET /api/v1/workflows/${WORKFLOW_ID}/versions/1`]: () => demoVersion,
    [`GET ${BASE}/logs`]: () => ({ items: [] }),
    [`GET ${BASE}/events`]: () => ({ items: [] }),
    [`POST ${BASE}/signals/:name`]: (req) => ({ status: 202, body: { id: EXECUTION_ID, status: "signalled", name: req.params.name } }),
    [`POST ${BASE}/cancel`]: () => ({ status: 202, body: { id: EXECUTION_ID, status: "cancelling" } }),
    [`POST ${BASE}/retry`]: () => ({ status: 202, body: { ...execution, status: "running", finished_at: null } }),
  });
  const r = renderWithProviders(<ExecutionPage />, { route, path: "/executions/:id" });
  return { m, ...r };
}

/** Waits for the page's stream socket, opens it and plays `events` through it. */
async function stream(events = eventsUpTo(30)) {
  await waitFor(() => expect(FakeSocket.all.length).toBeGreaterThan(0));
  const ws = FakeSocket.latest();
  act(() => {
    ws.open();
    ws.emit(events);
  });
  return ws;
}

describe("ExecutionPage", () => {
  beforeAll(() => installReactFlowDomShims());
  beforeEach(() => {
    useAuth.getState().clear();
    FakeSocket.all = [];
    vi.stubGlobal("WebSocket", FakeSocket);
  });
  afterEach(() => vi.unstubAllGlobals());

  it("colours the pinned version's nodes live from the stream", async () => {
    setup("viewer");
    expect(await screen.findByRole("link", { name: "demo-loop" })).toHaveAttribute("href", `/workflows/${WORKFLOW_ID}`);
    const ws = await stream();
    expect(ws.fromSeq).toBe(0);
    expect(ws.token).toBe("access-viewer");
    await waitFor(() => expect(screen.getByTestId("node-approve")).toHaveAttribute("data-status", "waiting"));
    expect(screen.getByTestId("node-small")).toHaveAttribute("data-status", "skipped");
    expect(screen.getByTestId("node-big")).toHaveAttribute("data-status", "succeeded");
    expect(screen.getByTestId("node-sq")).toHaveAttribute("data-status", "succeeded");
    expect(screen.getByTestId("node-boom")).toHaveAttribute("data-status", "queued");

    act(() => ws.emit(demoEvents.slice(30, 34)));
    await waitFor(() => expect(screen.getByTestId("node-boom")).toHaveAttribute("data-status", "failed"));
    expect(screen.getByTestId("node-approve")).toHaveAttribute("data-status", "succeeded");
    act(() => ws.emit([demoEvents[34]]));
    expect(await screen.findByRole("alert")).toHaveTextContent("permanent at node boom: connection refused");
    expect(screen.getByRole("button", { name: "Show failed node" })).toBeInTheDocument();
  });

  it("shows a node's iterations, input and output when it is clicked", async () => {
    const { user, location } = setup("viewer");
    await stream();
    // A plain click: user-event's pointer sequence starts React Flow's pan, which needs a real window.
    fireEvent.click(await screen.findByTestId("node-sq"));
    const panel = await screen.findByTestId("execution-node-details");
    expect(within(panel).getByRole("heading", { name: "Node sq" })).toBeInTheDocument();
    expect(location()).toBe(`/executions/${EXECUTION_ID}?node=sq`);
    // The last iteration by default: item 3, squared.
    expect(within(panel).getByLabelText("Iteration")).toHaveValue("each[2]/sq");
    expect(within(panel).getByLabelText("Input")).toHaveTextContent("3");
    expect(within(panel).getByLabelText("Output")).toHaveTextContent("9");
    await user.selectOptions(within(panel).getByLabelText("Iteration"), "each[0]/sq");
    expect(within(panel).getByLabelText("Input")).toHaveTextContent("1");
    expect(within(panel).getByRole("table", { name: "Attempts of node sq" })).toHaveTextContent("succeeded");

    await user.click(within(panel).getByRole("button", { name: "Close node details" }));
    expect(screen.queryByTestId("execution-node-details")).not.toBeInTheDocument();
  });

  it("lists events in the timeline, and a node cell selects the node", async () => {
    const { user } = setup("viewer");
    await stream();
    const rows = await screen.findAllByTestId("timeline-event");
    expect(rows).toHaveLength(30);
    expect(rows[28]).toHaveTextContent("signal awaited");
    expect(rows[28]).toHaveTextContent('signal "approval"');
    await user.click(within(rows[28]).getByRole("button", { name: "approve" }));
    expect(await screen.findByRole("heading", { name: "Node approve" })).toBeInTheDocument();
  });

  it("hides the operator actions from a viewer", async () => {
    setup("viewer");
    await stream();
    await screen.findByText("Live");
    expect(screen.queryByRole("button", { name: "Send signal" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Cancel execution" })).not.toBeInTheDocument();
  });

  it("lets an operator send the awaited signal with a JSON payload", async () => {
    const { m, user } = setup("operator");
    await stream();
    await user.click(await screen.findByRole("button", { name: "Send signal" }));
    const dialog = await screen.findByRole("dialog", { name: "Send a signal" });
    expect(within(dialog).getByLabelText("Signal name")).toHaveValue("approval");
    const payload = within(dialog).getByLabelText("Payload (JSON)");
    await user.clear(payload);
    await user.type(payload, "{{bad");
    await user.click(within(dialog).getByRole("button", { name: "Send" }));
    expect(within(dialog).getByText(/Not valid JSON/)).toBeInTheDocument();
    expect(m.requests(`POST ${BASE}/signals/approval`)).toHaveLength(0);

    await user.clear(payload);
    await user.type(payload, '{{"approved": true}');
    await user.click(within(dialog).getByRole("button", { name: "Send" }));
    await waitFor(() => expect(m.requests(`POST ${BASE}/signals/approval`)).toHaveLength(1));
    expect(m.requests(`POST ${BASE}/signals/approval`)[0].body).toEqual({ approved: true });
    await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());
  });

  it("asks before cancelling and sends the reason", async () => {
    const { m, user } = setup("operator");
    await stream();
    await user.click(await screen.findByRole("button", { name: "Cancel execution" }));
    const dialog = await screen.findByRole("dialog", { name: "Cancel this execution?" });
    await user.type(within(dialog).getByLabelText("Reason (optional)"), "wrong input");
    await user.click(within(dialog).getByRole("button", { name: "Cancel execution" }));
    await waitFor(() => expect(m.requests(`POST ${BASE}/cancel`)).toHaveLength(1));
    expect(m.requests(`POST ${BASE}/cancel`)[0].body).toEqual({ reason: "wrong input" });
  });

  it("retries a failed execution and follows it again from after its last event", async () => {
    const failed = demoExecution({ status: "failed", last_seq: 35, finished_at: demoEvents[34].at });
    const { m, user } = setup("operator", failed);
    const ws = await stream(eventsUpTo(35));
    act(() => ws.serverClose(1000));
    expect(screen.queryByRole("button", { name: "Cancel execution" })).not.toBeInTheDocument();
    await user.click(await screen.findByRole("button", { name: "Retry" }));
    await waitFor(() => expect(m.requests(`POST ${BASE}/retry`)).toHaveLength(1));
    await waitFor(() => expect(FakeSocket.all).toHaveLength(2));
    const again = FakeSocket.latest();
    expect(again.fromSeq).toBe(35);
    act(() => {
      again.open();
      again.emit(demoEvents.slice(35, 37));
    });
    await waitFor(() => expect(screen.getByTestId("node-boom")).toHaveAttribute("data-status", "running"));
    expect(screen.getByRole("button", { name: "Cancel execution" })).toBeInTheDocument();
  });

  it("says why the execution could not be loaded", async () => {
    signIn("viewer");
    mockApi({
      "GET /api/v1/auth/me": () => me("viewer"),
      [`GET ${BASE}`]: () => ({ status: 404, body: { title: "Not found", status: 404, detail: "no such execution", code: "not_found" } }),
    });
    renderWithProviders(<ExecutionPage />, { route: `/executions/${EXECUTION_ID}`, path: "/executions/:id" });
    expect(await screen.findByRole("alert")).toHaveTextContent("Could not load this execution: no such execution");
  });
});
