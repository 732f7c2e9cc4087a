import { describe, expect, it } from "vitest";
import type { Definition } from "@/api/types";
import { definitionToFlow, flowToDefinition } from "./convert";
import { sourcePorts } from "./ports";
import { sampleDefinition, specs } from "./testFixtures";
import type { WorkflowFlowNode } from "./types";

const byId = (nodes: WorkflowFlowNode[], id: string) => nodes.find((n) => n.id === id)!;

describe("definitionToFlow", () => {
  it("draws loops as groups holding their body nodes, parent first", () => {
    const { nodes, edges } = definitionToFlow(sampleDefinition(), specs);
    const each = byId(nodes, "each");
    expect(each.type).toBe("loop");
    expect(each.data.def.config).toEqual({ items: "{{ .prev.items }}", max_concurrency: 2 });
    for (const id of ["sq", "log_item"]) {
      const child = byId(nodes, id);
      expect(child.parentId).toBe("each");
      expect(child.extent).toBe("parent");
      expect(nodes.indexOf(child)).toBeGreaterThan(nodes.indexOf(each));
    }
    // Body positions stay relative to the group.
    expect(byId(nodes, "sq").position).toEqual({ x: 24, y: 80 });
    // The group is sized to hold its body.
    expect(each.width).toBeGreaterThanOrEqual(300 + 224);
    expect(each.height).toBeGreaterThanOrEqual(80 + 64);
    const bodyEdge = edges.find((e) => e.source === "sq")!;
    expect(bodyEdge).toMatchObject({ target: "log_item", sourceHandle: "main", targetHandle: "in" });
  });

  it("maps ports to source handles and labels the non-main ones", () => {
    const { edges } = definitionToFlow(sampleDefinition(), specs);
    const err = edges.find((e) => e.source === "get" && e.target === "failed")!;
    expect(err.sourceHandle).toBe("error");
    expect(err.label).toBe("error");
    const main = edges.find((e) => e.source === "start")!;
    expect(main.label).toBeUndefined();
    expect(edges.find((e) => e.source === "route" && e.target === "each")!.sourceHandle).toBe("other");
  });

  it("lays out nodes that have no saved position", () => {
    const def: Definition = {
      name: "x",
      nodes: [
        { id: "a", type: "trigger.manual" },
        { id: "b", type: "util.log", config: { message: "hi" } },
      ],
      edges: [{ from: "a", to: "b" }],
    };
    const { nodes } = definitionToFlow(def, specs);
    expect(byId(nodes, "b").position.x).toBeGreaterThan(byId(nodes, "a").position.x);
  });

  it("keeps a loop body it cannot draw verbatim", () => {
    const def: Definition = { name: "x", nodes: [{ id: "w", type: "flow.while", config: { condition: "true", body: "oops" }, position: { x: 0, y: 0 } }] };
    const { nodes } = definitionToFlow(def, specs);
    expect(nodes).toHaveLength(1);
    expect(nodes[0].type).toBe("task");
    expect(flowToDefinition(nodes, [], { name: "x" }).nodes[0].config).toEqual({ condition: "true", body: "oops" });
  });
});

describe("flowToDefinition", () => {
  it("round-trips a definition, loop bodies, ports and unknown fields included", () => {
    const def = sampleDefinition();
    const { nodes, edges } = definitionToFlow(def, specs);
    const { nodes: _n, edges: _e, ...meta } = def;
    expect(flowToDefinition(nodes, edges, meta)).toEqual(def);
  });

  it("writes moved positions back, rounded, relative inside a body", () => {
    const { nodes, edges } = definitionToFlow(sampleDefinition(), specs);
    const moved = nodes.map((n) => (n.id === "sq" ? { ...n, position: { x: 40.6, y: 99.2 } } : n));
    const out = flowToDefinition(moved, edges, { name: "orders" });
    const each = out.nodes.find((n) => n.id === "each")!;
    const body = each.config!.body as Definition;
    expect(body.nodes[0].position).toEqual({ x: 41, y: 99 });
  });

  it("files an edge under the graph of its source and keeps an explicit main port", () => {
    const def: Definition = {
      name: "x",
      nodes: [
        { id: "a", type: "trigger.manual", position: { x: 0, y: 0 } },
        { id: "b", type: "util.log", config: { message: "m" }, position: { x: 300, y: 0 } },
      ],
      edges: [{ from: "a", to: "b", port: "main" }],
    };
    const { nodes, edges } = definitionToFlow(def, specs);
    expect(flowToDefinition(nodes, edges, { name: "x" }).edges).toEqual([{ from: "a", to: "b", port: "main" }]);
  });

  it("follows renamed ids and reconnected handles", () => {
    const { nodes, edges } = definitionToFlow(sampleDefinition(), specs);
    const renamed = nodes.map((n) => (n.id === "check" ? { ...n, id: "gate" } : n));
    const rewired = edges.map((e) =>
      e.target === "check" ? { ...e, target: "gate" } : e.source === "check" ? { ...e, source: "gate", sourceHandle: "false" } : e,
    );
    const out = flowToDefinition(renamed, rewired, { name: "orders" });
    expect(out.nodes.some((n) => n.id === "gate")).toBe(true);
    expect(out.edges).toContainEqual({ from: "route", to: "gate", port: "big" });
    expect(out.edges).toContainEqual({ from: "gate", to: "each", port: "false" });
  });
});

describe("sourcePorts", () => {
  const spec = (type: string) => specs.find((s) => s.type === type)!;
  it("uses the spec's fixed names", () => {
    expect(sourcePorts({ id: "i", type: "flow.if" }, spec("flow.if"))).toEqual(["true", "false"]);
    expect(sourcePorts({ id: "l", type: "util.log" }, spec("util.log"))).toEqual(["main"]);
  });
  it("gives a switch one port per case plus its default", () => {
    const def = { id: "s", type: "flow.switch", config: { cases: [{ name: "a" }, { name: "b" }, { name: "" }] } };
    expect(sourcePorts(def, spec("flow.switch"))).toEqual(["a", "b", "default"]);
    expect(sourcePorts({ ...def, config: { ...def.config, default: "else" } }, spec("flow.switch"))).toEqual(["a", "b", "else"]);
  });
  it("adds error when failures are routed", () => {
    expect(sourcePorts({ id: "h", type: "http.request", on_error: "route" }, spec("http.request"))).toEqual(["main", "error"]);
    expect(sourcePorts({ id: "h", type: "http.request", on_error: "continue" }, spec("http.request"))).toEqual(["main"]);
  });
  it("falls back to main for an unknown type", () => {
    expect(sourcePorts({ id: "x", type: "nope.nope" })).toEqual(["main"]);
  });
});
