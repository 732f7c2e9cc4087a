// Catalog and definitions for canvas and designer tests: the real node specs the server
// ships (src/test/fixtures/nodes.json, from `weft nodes --json`) and a definition that
// exercises every drawing rule (ports, switch cases, routed errors, a loop body).
import type { Definition, NodeSpec } from "@/api/types";
import nodes from "@/test/fixtures/nodes.json";

export const specs = nodes as unknown as NodeSpec[];

export function sampleDefinition(): Definition {
  return {
    name: "orders",
    description: "Sample",
    tags: ["t"],
    settings: { priority: 3 },
    vars: { region: "eu" },
    nodes: [
      { id: "start", type: "trigger.manual", position: { x: 0, y: 0 } },
      {
        id: "get",
        type: "http.request",
        name: "Get order",
        config: { url: "https://example.com/{{ .input.id }}" },
        retry: { max_attempts: 3 },
        on_error: "route",
        position: { x: 300, y: 0 },
        notes: "kept",
        // An unknown field must survive the round trip.
        x_custom: { a: 1 },
      } as Definition["nodes"][number],
      {
        id: "route",
        type: "flow.switch",
        config: { cases: [{ name: "big", condition: "{{ .prev.total > 100 }}" }, { name: "small", condition: "{{ true }}" }], default: "other" },
        position: { x: 600, y: 0 },
      },
      { id: "check", type: "flow.if", config: { condition: "{{ .prev.ok }}" }, position: { x: 900, y: 0 } },
      {
        id: "each",
        type: "flow.for_each",
        config: {
          items: "{{ .prev.items }}",
          max_concurrency: 2,
          body: {
            nodes: [
              { id: "sq", type: "data.transform", config: { filter: ".item * .item" }, position: { x: 24, y: 80 } },
              { id: "log_item", type: "util.log", config: { message: "{{ .prev }}" }, position: { x: 300, y: 80 } },
            ],
            edges: [{ from: "sq", to: "log_item" }],
          },
        },
        position: { x: 900, y: 300 },
      },
      { id: "failed", type: "flow.fail", config: { message: "boom" }, position: { x: 600, y: 300 } },
    ],
    edges: [
      { from: "start", to: "get" },
      { from: "get", to: "route" },
      { from: "get", to: "failed", port: "error" },
      { from: "route", to: "check", port: "big" },
      { from: "route", to: "each", port: "other" },
      { from: "check", to: "each", port: "true" },
    ],
  };
}
