import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { act, screen, waitFor, within } from "@testing-library/react";
import { renderWithProviders } from "@/test/render";
import { me, mockApi, problem, signIn, type ApiMock } from "@/test/mockApi";
import { installReactFlowDomShims } from "@/features/canvas/testing";
import { sampleDefinition, specs } from "@/features/canvas/testFixtures";
import type { Definition } from "@/api/types";
import { DesignerPage } from "./DesignerPage";
import { writeDraft } from "./drafts";
import { useDesigner } from "./store";

beforeAll(installReactFlowDomShims);

const ID = "0190f0a0-0000-7000-8000-0000000000aa";

function workflow(version: number, definition: Definition = sampleDefinition()) {
  return { id: ID, name: definition.name, version, created_at: 1_700_000_000_000 + version, definition };
}

let api: ApiMock;
let latest: ReturnType<typeof workflow>;

beforeEach(() => {
  signIn();
  latest = workflow(3);
  api = mockApi({
    "GET /api/v1/auth/me": () => me("editor"),
    "GET /api/v1/nodes": () => ({ items: specs }),
    "GET /api/v1/workflows/:id": () => latest,
    "POST /api/v1/workflows/validate": () => ({ valid: true, problems: [] }),
    "PUT /api/v1/workflows/:id": (req) => {
      latest = workflow(latest.version + 1, req.body as Definition);
      return latest;
    },
  });
});

afterEach(() => {
  vi.useRealTimers();
  useDesigner.getState().reset();
});

async function open() {
  const r = renderWithProviders(<DesignerPage />, { route: `/workflows/${ID}`, path: "/workflows/:id" });
  await screen.findByTestId("node-get");
  return r;
}

describe("DesignerPage", () => {
  it("draws the workflow with its palette, name and version", async () => {
    await open();
    expect(screen.getByLabelText("Workflow name")).toHaveValue("orders");
    expect(screen.getByText("v3")).toBeInTheDocument();
    expect(screen.getByTestId("node-sq")).toBeInTheDocument();
    expect(screen.getByTestId("palette-http.request")).toBeInTheDocument();
    for (const name of ["Save", "Run", "Undo", "Redo", "Fit view", "Auto layout", "Export PNG", "Keyboard shortcuts", "Versions"]) {
      expect(screen.getByRole("button", { name })).toBeInTheDocument();
    }
    expect(screen.getByRole("button", { name: "Snap to grid" })).toHaveAttribute("aria-pressed", "true");
  });

  it("filters the palette and adds a node with Enter", async () => {
    const { user } = await open();
    await user.type(screen.getByLabelText("Search nodes"), "respond");
    expect(screen.queryByTestId("palette-http.request")).toBeNull();
    screen.getByTestId("palette-http.respond").focus();
    await user.keyboard("{Enter}");
    expect(await screen.findByTestId("node-http_respond")).toBeInTheDocument();
    expect(screen.getByText("Unsaved changes")).toBeInTheDocument();
    // The new node is selected, so its settings are open.
    expect(within(screen.getByTestId("config-panel")).getByText("http.respond")).toBeInTheDocument();
  });

  it("saves a new version with the version it started from", async () => {
    const { user } = await open();
    await user.clear(screen.getByLabelText("Workflow name"));
    await user.type(screen.getByLabelText("Workflow name"), "orders v2");
    await user.click(screen.getByRole("button", { name: "Save" }));
    await screen.findByText("Saved as version 4.");
    const [put] = api.requests(`PUT /api/v1/workflows/${ID}`);
    expect(put.query.get("expected_version")).toBe("3");
    expect(put.body).toEqual({ ...sampleDefinition(), name: "orders v2" });
    expect(screen.getByText("v4")).toBeInTheDocument();
    expect(screen.getByTestId("save-state")).toHaveTextContent("Saved");
  });

  it("on a 409 offers reload or overwrite, and overwrite saves over the latest", async () => {
    let conflicts = 1;
    api.on("PUT /api/v1/workflows/:id", (req) => {
      if (conflicts-- > 0) return problem(409, "conflict", "version 3 is not the latest (4 is)");
      latest = workflow(5, req.body as Definition);
      return latest;
    });
    const { user } = await open();
    latest = workflow(4);
    await user.type(screen.getByLabelText("Workflow name"), "!");
    await user.click(screen.getByRole("button", { name: "Save" }));
    const dialog = await screen.findByRole("dialog", { name: "Someone else saved this workflow" });
    await user.click(within(dialog).getByRole("button", { name: "Overwrite" }));
    await screen.findByText("Saved as version 5.");
    const puts = api.requests(`PUT /api/v1/workflows/${ID}`);
    expect(puts.map((p) => p.query.get("expected_version"))).toEqual(["3", "4"]);
  });

  it("reload after a 409 drops local changes and loads the latest", async () => {
    api.on("PUT /api/v1/workflows/:id", () => problem(409, "conflict", "stale"));
    const { user } = await open();
    latest = workflow(4, { ...sampleDefinition(), name: "theirs" });
    await user.type(screen.getByLabelText("Workflow name"), " mine");
    await user.click(screen.getByRole("button", { name: "Save" }));
    const dialog = await screen.findByRole("dialog", { name: "Someone else saved this workflow" });
    await user.click(within(dialog).getByRole("button", { name: "Reload latest" }));
    await waitFor(() => expect(screen.getByLabelText("Workflow name")).toHaveValue("theirs"));
    expect(screen.getByText("v4")).toBeInTheDocument();
    expect(screen.getByTestId("save-state")).toHaveTextContent("Saved");
  });

  it("puts the problems of a refused save on the nodes and in the list", async () => {
    const problems = [{ pointer: "/nodes/1/config/url", message: "relative URL" }];
    api.on("PUT /api/v1/workflows/:id", () => problem(422, "invalid_definition", "1 problem", { problems }));
    api.on("POST /api/v1/workflows/validate", () => ({ valid: false, problems }));
    const { user } = await open();
    await user.type(screen.getByLabelText("Workflow name"), "!");
    await user.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(screen.getByTestId("node-get")).toHaveAttribute("data-invalid", "true"));
    expect(screen.getByTestId("problems-summary")).toHaveTextContent("1 problem");
    await user.click(screen.getByRole("button", { name: /1 problem/ }));
    await user.click(screen.getByRole("button", { name: /relative URL/ }));
    // Choosing the problem selects the node, whose URL field shows the message.
    const url = await screen.findByLabelText(/^URL/);
    expect(url).toHaveAttribute("aria-invalid", "true");
  });

  it("validates as you edit and marks the node at fault", async () => {
    api.on("POST /api/v1/workflows/validate", (req) => {
      const def = req.body as Definition;
      return def.nodes.some((n) => n.id === "util_log")
        ? { valid: false, problems: [{ pointer: `/nodes/${def.nodes.length - 1}/config/message`, message: "required field is missing" }] }
        : { valid: true, problems: [] };
    });
    const { user } = await open();
    screen.getByTestId("palette-util.log").focus();
    await user.keyboard("{Enter}");
    await waitFor(() => expect(screen.getByTestId("node-util_log")).toHaveAttribute("data-invalid", "true"), { timeout: 2000 });
    expect(screen.getByTestId("node-get")).not.toHaveAttribute("data-invalid");
  });

  it("offers back an unsaved draft and restores it as unsaved changes", async () => {
    writeDraft({ workflowId: ID, baseVersion: 3, savedAt: Date.now(), definition: { ...sampleDefinition(), name: "from draft" } });
    const { user } = await open();
    const banner = screen.getByRole("region", { name: "Unsaved draft" });
    await user.click(within(banner).getByRole("button", { name: "Restore draft" }));
    expect(screen.getByLabelText("Workflow name")).toHaveValue("from draft");
    expect(screen.getByText("Unsaved changes")).toBeInTheDocument();
  });

  it("runs with validated JSON input, saving first when dirty, and opens the execution", async () => {
    api.on("POST /api/v1/workflows/:id/executions", () => ({ status: 202, body: { id: "exec-1", status: "queued" } }));
    const r = await open();
    const { user } = r;
    await user.type(screen.getByLabelText("Workflow name"), "!");
    await user.click(screen.getByRole("button", { name: "Run" }));
    const input = screen.getByLabelText("Input (JSON)");
    await user.clear(input);
    await user.type(input, "[[1]");
    expect(screen.getByRole("button", { name: "Start run" })).toBeDisabled();
    expect(input).toHaveAttribute("aria-invalid", "true");
    await user.clear(input);
    await user.type(input, '{{"id": 7}');
    await user.click(screen.getByRole("button", { name: "Start run" }));
    await waitFor(() => expect(r.location()).toBe("/executions/exec-1"));
    expect(api.requests(`PUT /api/v1/workflows/${ID}`)).toHaveLength(1);
    const [start] = api.requests(`POST /api/v1/workflows/${ID}/executions`);
    expect(start.body).toEqual({ input: { id: 7 } });
  });

  it("undoes and redoes from the keyboard, not while typing in a field", async () => {
    const { user } = await open();
    screen.getByTestId("palette-util.log").focus();
    await user.keyboard("{Enter}");
    await screen.findByTestId("node-util_log");
    screen.getByLabelText("Workflow name").focus();
    await user.keyboard("{Control>}z{/Control}");
    expect(screen.getByTestId("node-util_log")).toBeInTheDocument();
    (document.activeElement as HTMLElement).blur();
    await user.keyboard("{Control>}z{/Control}");
    await waitFor(() => expect(screen.queryByTestId("node-util_log")).toBeNull());
    await user.keyboard("{Control>}{Shift>}z{/Shift}{/Control}");
    expect(await screen.findByTestId("node-util_log")).toBeInTheDocument();
    await user.keyboard("?");
    expect(await screen.findByRole("dialog", { name: "Keyboard shortcuts" })).toBeInTheDocument();
  });

  it("offers an editor the stored credentials in a node's credential field", async () => {
    api.on("GET /api/v1/credentials", () => ({
      items: [{ id: "0190a1b2-0000-7000-8000-000000000001", name: "orders-db", kind: "postgres", version: 2, created_by: ID, created_at: 1, updated_at: 1 }],
    }));
    const { user } = await open();
    await user.type(screen.getByLabelText("Search nodes"), "postgres");
    screen.getByTestId("palette-db.postgres").focus();
    await user.keyboard("{Enter}");
    const panel = screen.getByTestId("config-panel");
    const field = within(panel).getByLabelText(/^Credential/);
    await waitFor(() => expect(field).toHaveAttribute("list"));
    const options = document.getElementById(field.getAttribute("list")!)!.querySelectorAll("option");
    expect([...options].map((o) => o.getAttribute("value"))).toEqual(["orders-db"]);
    await user.type(field, "orders-db");
    expect(within(panel).getByText("Uses “orders-db” (postgres, version 2).")).toBeInTheDocument();
  });

  it("does not ask for credentials for a viewer", async () => {
    api.on("GET /api/v1/auth/me", () => me("viewer"));
    await open();
    await screen.findByText(/^Read-only/);
    act(() => useDesigner.getState().select(["get"]));
    await screen.findByTestId("config-panel");
    expect(api.requests("GET /api/v1/credentials")).toHaveLength(0);
  });

  it("shows the problem when the workflow cannot be opened", async () => {
    api.on("GET /api/v1/workflows/:id", () => problem(404, "not_found", "no workflow with this id"));
    renderWithProviders(<DesignerPage />, { route: `/workflows/${ID}`, path: "/workflows/:id" });
    expect(await screen.findByText("no workflow with this id")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: /Back to workflows/ })).toHaveAttribute("href", "/workflows");
  });
});
