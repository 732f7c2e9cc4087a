import { useState } from "react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor } from "@testing-library/react";
import { LogsViewer } from "./LogsViewer";
import { renderWithProviders } from "@/test/render";
import { mockApi, signIn, type MockRequest } from "@/test/mockApi";
import { useAuth } from "@/api/auth";
import { DEMO_NODE_IDS, EXECUTION_ID, T0 } from "./testFixtures";

const LOGS = `/api/v1/executions/${EXECUTION_ID}/logs`;

function line(seq: number, message: string, node: string | null = null, level = "info") {
  return { seq, at: T0 + seq * 25, level, node, message };
}

/** The query a log request sent, as a plain object (limit left out). */
function sent(r: MockRequest) {
  const q = Object.fromEntries(r.query);
  delete q.limit;
  return q;
}

function setup(handler: (req: MockRequest) => unknown, liveSeq = 10) {
  signIn("viewer");
  const m = mockApi({ [`GET ${LOGS}`]: handler });
  const r = renderWithProviders(<LogsViewer executionId={EXECUTION_ID} nodeIds={DEMO_NODE_IDS} liveSeq={liveSeq} />);
  return { m, ...r };
}

describe("LogsViewer", () => {
  beforeEach(() => useAuth.getState().clear());
  afterEach(() => vi.unstubAllGlobals());

  it("starts at level info with no other filter", async () => {
    const { m } = setup(() => ({ items: [line(1, "execution started"), line(2, "node start scheduled (attempt 1)", "start")] }));
    expect(await screen.findByText("node start scheduled (attempt 1)")).toBeInTheDocument();
    expect(m.requests(`GET ${LOGS}`).map(sent)).toEqual([{ level: "info" }]);
    expect(m.requests(`GET ${LOGS}`)[0].query.get("limit")).toBe("200");
  });

  it("builds the query from the level, node and (debounced) text filters", async () => {
    const { m, user } = setup(() => ({ items: [] }));
    await screen.findByText("No log lines match these filters.");

    await user.selectOptions(screen.getByLabelText("Lowest level"), "warn");
    await waitFor(() => expect(m.requests(`GET ${LOGS}`).map(sent).at(-1)).toEqual({ level: "warn" }));

    await user.selectOptions(screen.getByLabelText("Node"), "sq");
    await waitFor(() => expect(m.requests(`GET ${LOGS}`).map(sent).at(-1)).toEqual({ level: "warn", node: "sq" }));

    const before = m.requests(`GET ${LOGS}`).length;
    await user.type(screen.getByLabelText("Search messages"), "refused");
    await waitFor(() => expect(m.requests(`GET ${LOGS}`).map(sent).at(-1)).toEqual({ level: "warn", node: "sq", q: "refused" }));
    // One request for the whole word, not one per keystroke.
    expect(m.requests(`GET ${LOGS}`)).toHaveLength(before + 1);

    await user.selectOptions(screen.getByLabelText("Node"), "");
    await waitFor(() => expect(m.requests(`GET ${LOGS}`).map(sent).at(-1)).toEqual({ level: "warn", q: "refused" }));
  });

  it("pages with the cursor the server returned", async () => {
    const { m, user } = setup((req) =>
      req.query.get("cursor") === "40"
        ? { items: [line(41, "second page")], next_cursor: null }
        : { items: [line(1, "first page")], next_cursor: 40 },
    );
    await screen.findByText("first page");
    await user.click(screen.getByRole("button", { name: "Load more" }));
    expect(await screen.findByText("second page")).toBeInTheDocument();
    expect(screen.getByText("first page")).toBeInTheDocument();
    expect(m.requests(`GET ${LOGS}`).map(sent)).toEqual([{ level: "info" }, { level: "info", cursor: "40" }]);
    expect(screen.queryByRole("button", { name: "Load more" })).not.toBeInTheDocument();
  });

  it("appends new lines when the stream moves past the last line read", async () => {
    let phase = 0;
    const handler = (req: MockRequest) =>
      req.query.get("cursor") === "2" ? { items: phase ? [line(3, "node boom scheduled (attempt 1)", "boom")] : [] } : { items: [line(1, "a"), line(2, "b")] };
    signIn("viewer");
    const m = mockApi({ [`GET ${LOGS}`]: handler });
    // The page passes the stream's seq down; a button stands in for the stream here.
    function Harness() {
      const [seq, setSeq] = useState(2);
      return (
        <>
          <button onClick={() => setSeq(3)}>event 3 arrives</button>
          <LogsViewer executionId={EXECUTION_ID} nodeIds={DEMO_NODE_IDS} liveSeq={seq} />
        </>
      );
    }
    const { user } = renderWithProviders(<Harness />);
    await screen.findByText("b");
    phase = 1;
    await user.click(screen.getByRole("button", { name: "event 3 arrives" }));
    expect(await screen.findByText("node boom scheduled (attempt 1)")).toBeInTheDocument();
    expect(screen.getAllByTestId("log-line")).toHaveLength(3);
    expect(m.requests(`GET ${LOGS}`).map(sent).at(-1)).toEqual({ level: "info", cursor: "2" });
  });

  it("shows why the log could not be loaded", async () => {
    setup(() => ({ status: 400, body: { title: "Bad request", status: 400, detail: "level is one of debug, info, warn, error", field: "level" } }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("level is one of debug, info, warn, error");
    expect(alert).toHaveTextContent("field level");
  });
});
