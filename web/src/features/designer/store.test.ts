import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Definition } from "@/api/types";
import { sampleDefinition, specs } from "@/features/canvas/testFixtures";
import { useDesigner } from "./store";
import { DRAFT_DELAY_MS, readDraft, startDraftAutosave, writeDraft } from "./drafts";

const s = () => useDesigner.getState();
const node = (id: string) => s().nodes.find((n) => n.id === id);

function load(def: Definition = sampleDefinition()) {
  s().load({ workflowId: "wf-1", version: 4, definition: def, specs });
}

beforeEach(() => load());

describe("designer store", () => {
  it("loads clean and round-trips the definition", () => {
    expect(s().dirty).toBe(false);
    expect(s().baseVersion).toBe(4);
    expect(s().definition()).toEqual(sampleDefinition());
  });

  it("adds a node with a unique id from its type, selected alone", () => {
    s().select(["get"]);
    const a = s().addNode("http.request", { x: 10.4, y: 20.6 });
    const b = s().addNode("http.request", { x: 0, y: 0 });
    expect(a).toBe("http_request");
    expect(b).toBe("http_request_2");
    expect(node(a)!.position).toEqual({ x: 10, y: 21 });
    expect(s().nodes.filter((n) => n.selected).map((n) => n.id)).toEqual([b]);
    expect(s().dirty).toBe(true);
    // Ids are unique across loop bodies too.
    expect(s().addNode("data.transform", { x: 0, y: 0 }, "each")).toBe("data_transform");
    expect(node("data_transform")!.parentId).toBe("each");
    const body = s().definition().nodes.find((n) => n.id === "each")!.config!.body as Definition;
    expect(body.nodes.map((n) => n.id)).toContain("data_transform");
  });

  it("starts a switch with one case and fills required defaults", () => {
    const id = s().addNode("flow.switch", { x: 0, y: 0 });
    expect(node(id)!.data.def.config).toEqual({ cases: [{ name: "case_1", condition: "{{ true }}" }] });
    const set = s().addNode("data.set", { x: 0, y: 0 });
    expect(node(set)!.data.def.config).toEqual({ fields: {} });
  });

  it("undoes and redoes edits, and coalesces a drag into one step", () => {
    s().addNode("util.log", { x: 0, y: 0 });
    s().beginDrag();
    for (let i = 1; i <= 5; i++) s().onNodesChange([{ type: "position", id: "util_log", position: { x: i * 10, y: 0 }, dragging: true }]);
    s().onNodesChange([{ type: "position", id: "util_log", position: { x: 50, y: 0 }, dragging: false }]);
    s().endDrag();
    expect(s().past).toHaveLength(2);
    expect(node("util_log")!.position.x).toBe(50);
    s().undo();
    expect(node("util_log")!.position.x).toBe(0);
    s().undo();
    expect(node("util_log")).toBeUndefined();
    expect(s().dirty).toBe(false);
    s().redo();
    s().redo();
    expect(node("util_log")!.position.x).toBe(50);
    expect(s().dirty).toBe(true);
  });

  it("does not record selection or measuring as edits", () => {
    s().onNodesChange([{ type: "select", id: "get", selected: true }]);
    s().onNodesChange([{ type: "dimensions", id: "get", dimensions: { width: 224, height: 90 } }]);
    expect(s().past).toHaveLength(0);
    expect(s().dirty).toBe(false);
    expect(node("get")!.selected).toBe(true);
  });

  it("coalesces typing into one field as one undo step", () => {
    s().updateNode("get", { name: "G" }, "name");
    s().updateNode("get", { name: "Ge" }, "name");
    s().updateNode("get", { name: "Get it" }, "name");
    expect(s().past).toHaveLength(1);
    s().updateNode("get", { notes: undefined });
    expect(node("get")!.data.def).not.toHaveProperty("notes");
    s().undo();
    s().undo();
    expect(node("get")!.data.def.name).toBe("Get order");
  });

  it("deletes the selection with loop bodies and the edges that touch it", () => {
    s().select(["each"]);
    expect(s().deleteSelection()).toBe(3);
    expect(s().nodes.map((n) => n.id)).not.toContain("sq");
    expect(s().edges.some((e) => e.target === "each" || e.source === "sq")).toBe(false);
    s().undo();
    expect(node("sq")!.parentId).toBe("each");
  });

  it("copies and pastes with new ids, an offset and the edges between copied nodes", () => {
    s().select(["get", "route"]);
    expect(s().copySelection()).toBe(2);
    const pasted = s().paste();
    expect(pasted).toHaveLength(2);
    const [g, r] = pasted.map((id) => node(id)!);
    expect(g.data.def.type).toBe("http.request");
    expect(g.data.def.id).toBe(g.id);
    expect(g.id).toBe("http_request");
    expect(r.id).toBe("flow_switch");
    expect(g.position).toEqual({ x: 340, y: 40 });
    expect(s().edges.filter((e) => e.source === g.id).map((e) => e.target)).toEqual([r.id]);
    // The edge to a node that was not copied is not duplicated.
    expect(s().edges.filter((e) => e.source === g.id && e.sourceHandle === "error")).toHaveLength(0);
    expect(s().nodes.filter((n) => n.selected).map((n) => n.id)).toEqual(pasted);
    // A second paste lands further away with fresh ids.
    const again = s().paste();
    expect(again[0]).toBe("http_request_2");
    expect(node(again[0])!.position).toEqual({ x: 380, y: 80 });
  });

  it("copies a loop with its body, remapping body ids and edges", () => {
    s().select(["each"]);
    expect(s().copySelection()).toBe(3);
    const [loop, ...body] = s().paste();
    expect(body.every((id) => node(id)!.parentId === loop)).toBe(true);
    expect(s().edges.some((e) => e.source === body[0] && e.target === body[1])).toBe(true);
    const def = s().definition();
    const copy = def.nodes.find((n) => n.id === loop)!;
    expect((copy.config!.body as Definition).nodes).toHaveLength(2);
  });

  it("renames a node id, with edges and body following, and refuses a taken or malformed id", () => {
    expect(s().renameNode("each", "get")).toMatch(/already/);
    expect(s().renameNode("each", "bad id")).toMatch(/letters/);
    expect(s().renameNode("each", "sq")).toMatch(/already/);
    expect(s().renameNode("each", "per_item")).toBeNull();
    expect(node("sq")!.parentId).toBe("per_item");
    const def = s().definition();
    expect(def.edges).toContainEqual({ from: "route", to: "per_item", port: "other" });
    expect(def.nodes.find((n) => n.id === "per_item")!.config!.body).toBeDefined();
    expect(new Set(s().edges.map((e) => e.id)).size).toBe(s().edges.length);
  });

  it("connects ports and refuses broken connections", () => {
    s().addNode("util.log", { x: 0, y: 0 });
    expect(s().connect({ source: "check", sourceHandle: "false", target: "util_log", targetHandle: "in" })).toBeNull();
    expect(s().definition().edges).toContainEqual({ from: "check", to: "util_log", port: "false" });
    expect(s().connect({ source: "check", sourceHandle: "false", target: "util_log", targetHandle: "in" })).toMatch(/already/);
    expect(s().connect({ source: "util_log", sourceHandle: "main", target: "get", targetHandle: "in" })).toMatch(/cycle/);
  });

  it("moves edges along when a switch case is renamed", () => {
    const cases = [{ name: "large", condition: "{{ .prev.total > 100 }}" }, { name: "small", condition: "{{ true }}" }];
    s().updateNode("route", { config: { cases, default: "other" } });
    expect(s().definition().edges).toContainEqual({ from: "route", to: "check", port: "large" });
    expect(s().edges.find((e) => e.source === "route" && e.target === "check")!.id).toBe("route:large>check");
  });

  it("marks saved and drops dirty", () => {
    s().setMeta({ name: "renamed" });
    expect(s().dirty).toBe(true);
    s().markSaved(5);
    expect(s().dirty).toBe(false);
    expect(s().baseVersion).toBe(5);
    s().undo();
    expect(s().dirty).toBe(true);
    expect(s().meta.name).toBe("orders");
  });

  it("lays out every level on auto layout, as one undo step", () => {
    s().autoLayout();
    expect(s().past).toHaveLength(1);
    const each = node("each")!;
    expect(each.width).toBeGreaterThan(224 * 2);
    expect(node("sq")!.position.x).toBeGreaterThanOrEqual(24);
  });

  it("maps validation problems onto nodes and fields", () => {
    const def = s().definition();
    s().setProblems(def, [
      { pointer: "/nodes/1/config/url", message: "bad url" },
      { pointer: "/nodes/4/config/body/nodes/0/config/filter", message: "bad filter" },
    ]);
    expect(s().problems.byNode).toEqual({ get: ["bad url"], sq: ["bad filter"] });
    expect(s().problems.byField.sq).toEqual({ "config/filter": ["bad filter"] });
  });
});

describe("draft autosave", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("writes the draft after changes settle and clears it once saved", () => {
    const stop = startDraftAutosave(useDesigner);
    s().setMeta({ name: "draft name" });
    expect(readDraft("wf-1")).toBeNull();
    vi.advanceTimersByTime(DRAFT_DELAY_MS + 10);
    const d = readDraft("wf-1")!;
    expect(d.baseVersion).toBe(4);
    expect(d.definition.name).toBe("draft name");
    expect(localStorage.getItem("weft.draft.wf-1.4")).not.toBeNull();
    s().markSaved(5);
    expect(readDraft("wf-1")).toBeNull();
    stop();
  });

  it("keeps an offered draft when the workflow is loaded again", () => {
    writeDraft({ workflowId: "wf-1", baseVersion: 3, savedAt: 1, definition: { ...sampleDefinition(), name: "old draft" } });
    const stop = startDraftAutosave(useDesigner);
    load();
    vi.advanceTimersByTime(DRAFT_DELAY_MS + 10);
    expect(readDraft("wf-1")!.definition.name).toBe("old draft");
    stop();
  });
});
