import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import { WorkflowsPage } from "./WorkflowsPage";
import { renderWithProviders } from "@/test/render";
import { me, mockApi, problem, signIn, type ApiMock } from "@/test/mockApi";
import { useAuth } from "@/api/auth";

const NOW = Date.now();

const orders = {
  id: "0190f0a0-0000-7000-8000-00000000000a",
  name: "order-intake",
  description: "Takes orders from the shop",
  tags: ["billing", "shop"],
  latest_version: 3,
  created_at: NOW - 86_400_000,
  updated_at: NOW - 3_600_000,
  last_execution: { id: "0190f0a0-0000-7000-8000-0000000000e1", status: "failed", created_at: NOW - 120_000 },
};
const nightly = {
  id: "0190f0a0-0000-7000-8000-00000000000b",
  name: "nightly-report",
  tags: ["reports"],
  latest_version: 1,
  created_at: NOW - 86_400_000,
  updated_at: NOW - 86_400_000,
};

function setup(role: "viewer" | "editor" = "editor", route = "/workflows") {
  signIn(role);
  const m: ApiMock = mockApi({
    "GET /api/v1/auth/me": () => me(role),
    "GET /api/v1/workflows": (req) => {
      const q = req.query.get("q") ?? "";
      const tag = req.query.get("tag");
      const items = [orders, nightly].filter((w) => w.name.includes(q) && (!tag || w.tags.includes(tag)));
      return { items, next_cursor: null };
    },
  });
  const r = renderWithProviders(<WorkflowsPage />, { route });
  return { m, ...r };
}

describe("WorkflowsPage", () => {
  beforeEach(() => useAuth.getState().clear());
  afterEach(() => vi.unstubAllGlobals());

  it("lists workflows with tags, version and the last run", async () => {
    setup();
    const row = await screen.findByTestId(`workflow-row-${orders.id}`);
    expect(within(row).getByRole("link", { name: "order-intake" })).toHaveAttribute("href", `/workflows/${orders.id}`);
    expect(within(row).getByText("Takes orders from the shop")).toBeInTheDocument();
    expect(within(row).getByText("v3")).toBeInTheDocument();
    const lastRun = within(row).getByRole("link", { name: /last run failed/i });
    expect(lastRun).toHaveAttribute("href", `/executions/${orders.last_execution.id}`);
    expect(within(lastRun).getByText("2 minutes ago")).toBeInTheDocument();
    expect(within(screen.getByTestId(`workflow-row-${nightly.id}`)).getByText("Never run")).toBeInTheDocument();
  });

  it("searches by name through ?q= after a pause in typing", async () => {
    const { m, user, location } = setup();
    await screen.findByText("nightly-report");
    await user.type(screen.getByLabelText("Search workflows"), "order");
    await waitFor(() => expect(location()).toBe("/workflows?q=order"));
    await waitFor(() => expect(screen.queryByText("nightly-report")).not.toBeInTheDocument());
    const queries = m.requests("GET /api/v1/workflows").map((r) => r.query.get("q"));
    // One request for the whole word, not one per keystroke.
    expect(queries).toEqual([null, "order"]);
  });

  it("starts from the filters in the URL and filters by a tag chip", async () => {
    const { m, user, location } = setup("editor", "/workflows?q=order");
    expect(await screen.findByLabelText("Search workflows")).toHaveValue("order");
    await screen.findByText("order-intake");
    expect(m.requests("GET /api/v1/workflows")[0].query.get("q")).toBe("order");

    await user.click(within(screen.getByRole("group", { name: "Filter by tag" })).getByRole("button", { name: "billing" }));
    await waitFor(() => expect(location()).toBe("/workflows?q=order&tag=billing"));
    const last = m.requests("GET /api/v1/workflows").at(-1)!;
    expect(last.query.get("tag")).toBe("billing");
    expect(within(screen.getByRole("group", { name: "Filter by tag" })).getByRole("button", { name: "billing" })).toHaveAttribute(
      "aria-pressed",
      "true",
    );
  });

  it("creates a workflow from a valid starter definition and opens the designer", async () => {
    const { m, user, location } = setup();
    m.on("POST /api/v1/workflows", (req) => ({
      status: 201,
      body: { id: "0190f0a0-0000-7000-8000-0000000000ff", name: "invoices", version: 1, created_at: NOW, definition: req.body },
    }));
    await user.click(await screen.findByRole("button", { name: "Create workflow" }));
    const dialog = await screen.findByRole("dialog", { name: "Create workflow" });
    await user.click(within(dialog).getByRole("button", { name: "Create" }));
    expect(within(dialog).getByText("A name is required")).toBeInTheDocument();
    expect(m.requests("POST /api/v1/workflows")).toHaveLength(0);

    await user.type(within(dialog).getByLabelText("Name"), "  invoices ");
    await user.type(within(dialog).getByLabelText("Description (optional)"), "Bills customers");
    await user.type(within(dialog).getByLabelText("Tags (optional)"), "billing, , nightly,billing");
    await user.click(within(dialog).getByRole("button", { name: "Create" }));

    await waitFor(() => expect(location()).toBe("/workflows/0190f0a0-0000-7000-8000-0000000000ff"));
    expect(m.requests("POST /api/v1/workflows")[0].body).toEqual({
      name: "invoices",
      description: "Bills customers",
      tags: ["billing", "nightly"],
      nodes: [{ id: "start", type: "trigger.manual", position: { x: 0, y: 0 } }],
      edges: [],
    });
  });

  it("imports a YAML file as application/yaml and lists every problem of a 422", async () => {
    const { m, user } = setup();
    const problems = [
      { pointer: "/nodes/1/type", message: "unknown node type `http.reqest`", hint: "did you mean http.request?" },
      { pointer: "/edges/0/to", message: "edge to unknown node `nope`" },
    ];
    m.on("POST /api/v1/workflows/import", () =>
      problem(422, "invalid_definition", "2 problem(s) in the definition", { field: "/nodes/1/type", problems }),
    );
    await user.click(await screen.findByRole("button", { name: "Import" }));
    const dialog = await screen.findByRole("dialog", { name: "Import workflow" });
    const yaml = "name: broken\nnodes:\n  - id: start\n    type: trigger.manual\n  - id: get\n    type: http.reqest\n";
    await user.upload(within(dialog).getByLabelText("File"), new File([yaml], "broken.yml", { type: "application/yaml" }));
    await waitFor(() => expect(within(dialog).getByLabelText("Definition")).toHaveValue(yaml));
    expect(within(dialog).getByLabelText("Format")).toHaveValue("yaml");
    await user.click(within(dialog).getByRole("button", { name: "Import" }));

    const list = await within(dialog).findByRole("list", { name: "Problems" });
    const items = within(list).getAllByRole("listitem");
    expect(items).toHaveLength(2);
    expect(items[0]).toHaveTextContent("/nodes/1/type");
    expect(items[0]).toHaveTextContent("unknown node type `http.reqest`");
    expect(items[0]).toHaveTextContent("Hint: did you mean http.request?");
    expect(items[1]).toHaveTextContent("/edges/0/to");

    const sent = m.requests("POST /api/v1/workflows/import")[0];
    expect(sent.headers.get("content-type")).toBe("application/yaml");
    expect(sent.body).toBe(yaml);
  });

  it("imports pasted JSON and opens the new workflow", async () => {
    const { m, user, location } = setup();
    m.on("POST /api/v1/workflows/import", (req) => ({
      status: 201,
      body: { id: "w-imported", name: "x", version: 1, created_at: NOW, definition: req.body },
    }));
    await user.click(await screen.findByRole("button", { name: "Import" }));
    const dialog = await screen.findByRole("dialog", { name: "Import workflow" });
    const json = '{"name":"x","nodes":[{"id":"start","type":"trigger.manual"}]}';
    await user.click(within(dialog).getByLabelText("Definition"));
    await user.paste(json);
    expect(within(dialog).getByLabelText("Format")).toHaveValue("json");
    await user.click(within(dialog).getByRole("button", { name: "Import" }));
    await waitFor(() => expect(location()).toBe("/workflows/w-imported"));
    const sent = m.requests("POST /api/v1/workflows/import")[0];
    expect(sent.headers.get("content-type")).toBe("application/json");
    expect(sent.body).toEqual(JSON.parse(json));
  });

  it("deletes a workflow after confirming, saying running executions finish", async () => {
    const { m, user } = setup();
    let deleted = false;
    m.on("DELETE /api/v1/workflows/:id", () => {
      deleted = true;
      return { status: 204 };
    });
    m.on("GET /api/v1/workflows", () => ({ items: deleted ? [nightly] : [orders, nightly] }));
    await user.click(await screen.findByRole("button", { name: "Actions for order-intake" }));
    await user.click(await screen.findByRole("menuitem", { name: "Delete" }));
    const dialog = await screen.findByRole("dialog", { name: "Delete “order-intake”?" });
    expect(dialog).toHaveTextContent("Executions that are already running finish on the version they started with.");
    expect(m.requests(`DELETE /api/v1/workflows/${orders.id}`)).toHaveLength(0);
    await user.click(within(dialog).getByRole("button", { name: "Delete" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());
    expect(m.requests(`DELETE /api/v1/workflows/${orders.id}`)).toHaveLength(1);
    await waitFor(() => expect(screen.queryByText("order-intake")).not.toBeInTheDocument());
    expect(await screen.findByText("Deleted “order-intake”")).toBeInTheDocument();
  });

  it("keeps the dialog open and shows why when a delete fails", async () => {
    const { m, user } = setup();
    m.on("DELETE /api/v1/workflows/:id", () => problem(403, "forbidden", "this needs the editor role"));
    await user.click(await screen.findByRole("button", { name: "Actions for order-intake" }));
    await user.click(await screen.findByRole("menuitem", { name: "Delete" }));
    const dialog = await screen.findByRole("dialog");
    await user.click(within(dialog).getByRole("button", { name: "Delete" }));
    expect(await within(dialog).findByRole("alert")).toHaveTextContent("this needs the editor role");
  });

  it("duplicates a workflow under a new name", async () => {
    const { m, user } = setup();
    const def = { name: "order-intake", tags: ["billing"], nodes: [{ id: "start", type: "trigger.manual" }], edges: [] };
    m.on("GET /api/v1/workflows/:id", () => ({ id: orders.id, name: "order-intake", version: 3, created_at: NOW, definition: def }));
    m.on("POST /api/v1/workflows", (req) => ({ status: 201, body: { id: "w2", name: (req.body as { name: string }).name, version: 1, created_at: NOW, definition: req.body } }));
    await user.click(await screen.findByRole("button", { name: "Actions for order-intake" }));
    await user.click(await screen.findByRole("menuitem", { name: "Duplicate" }));
    expect(await screen.findByText("Created “order-intake (copy)”")).toBeInTheDocument();
    expect(m.requests("POST /api/v1/workflows")[0].body).toEqual({ ...def, name: "order-intake (copy)" });
  });

  it("exports through an authenticated download", async () => {
    const { m, user } = setup();
    m.on("GET /api/v1/workflows/:id/export", () => ({
      body: "name: order-intake\n",
      headers: { "content-type": "application/yaml", "content-disposition": 'attachment; filename="order-intake-v3.yaml"' },
    }));
    const createObjectURL = vi.fn(() => "blob:x");
    vi.stubGlobal("URL", Object.assign(URL, { createObjectURL, revokeObjectURL: vi.fn() }));
    const click = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(() => {});
    await user.click(await screen.findByRole("button", { name: "Actions for order-intake" }));
    await user.click(await screen.findByRole("menuitem", { name: "Export YAML" }));
    expect(await screen.findByText("Exported order-intake-v3.yaml")).toBeInTheDocument();
    const req = m.requests(`GET /api/v1/workflows/${orders.id}/export`)[0];
    expect(req.query.get("format")).toBe("yaml");
    expect(req.headers.get("authorization")).toBe("Bearer access-editor");
    expect(click).toHaveBeenCalledOnce();
    expect((click.mock.contexts[0] as HTMLAnchorElement).download).toBe("order-intake-v3.yaml");
    click.mockRestore();
  });

  it("loads the next page with the cursor", async () => {
    const { m, user } = setup();
    m.on("GET /api/v1/workflows", (req) =>
      req.query.get("cursor") === "c1" ? { items: [nightly] } : { items: [orders], next_cursor: "c1" },
    );
    await screen.findByText("order-intake");
    expect(screen.queryByText("nightly-report")).not.toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Load more" }));
    expect(await screen.findByText("nightly-report")).toBeInTheDocument();
    expect(screen.getByText("order-intake")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Load more" })).not.toBeInTheDocument();
  });

  it("is read-only for a viewer", async () => {
    const { user } = setup("viewer");
    await screen.findByText("order-intake");
    await waitFor(() => expect(screen.queryByRole("button", { name: "Create workflow" })).not.toBeInTheDocument());
    expect(screen.queryByRole("button", { name: "Import" })).not.toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Actions for order-intake" }));
    expect(await screen.findByRole("menuitem", { name: "Export JSON" })).toBeInTheDocument();
    expect(screen.queryByRole("menuitem", { name: "Delete" })).not.toBeInTheDocument();
    expect(screen.queryByRole("menuitem", { name: "Duplicate" })).not.toBeInTheDocument();
  });

  it("offers create and import when there are no workflows, and says when a filter matches none", async () => {
    const { m, user } = setup();
    m.on("GET /api/v1/workflows", (req) => ({ items: req.query.get("q") ? [] : [] }));
    expect(await screen.findByText("No workflows yet")).toBeInTheDocument();
    expect(screen.getAllByRole("button", { name: "Create workflow" })).toHaveLength(2);
    await user.type(screen.getByLabelText("Search workflows"), "zzz{Enter}");
    expect(await screen.findByText(/No workflows match/)).toHaveTextContent("No workflows match “zzz”.");
    await user.click(screen.getByRole("button", { name: "Clear filters" }));
    expect(await screen.findByText("No workflows yet")).toBeInTheDocument();
    expect(screen.getByLabelText("Search workflows")).toHaveValue("");
  });

  it("shows the problem when the list cannot load", async () => {
    const { m } = setup();
    m.on("GET /api/v1/workflows", () => problem(400, "bad_request", "the cursor is not valid", { field: "cursor" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Could not load workflows: the cursor is not valid");
  });
});
