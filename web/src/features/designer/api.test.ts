import { describe, expect, it } from "vitest";
import type { EventOut } from "@/api/types";
import { sampleDefinition } from "@/features/canvas/testFixtures";
import { lastRunFromEvents, nodeIdOfPath, testContext } from "./api";

const ev = (seq: number, type: string, node_id: string | null, data: Record<string, unknown>): EventOut => ({ seq, type, node_id, at: seq, data: data as Record<string, never> });

// As the engine records them (see a real run of the sample workflow).
const events: EventOut[] = [
  ev(1, "execution_started", null, { input: { total: 150 }, version: 1 }),
  ev(2, "node_completed", "start", { node: "start", output: { total: 150 }, ports: ["main"] }),
  ev(3, "node_completed", "get", { node: "get", output: { total: 150, items: [1, 2, 3] }, ports: ["main"] }),
  ev(4, "loop_started", "each", { node: "each", items: [1, 2, 3] }),
  ev(5, "node_completed", "each[1]/sq", { output: 4 }),
  ev(6, "node_completed", "each[0]/sq", { output: 1 }),
  ev(7, "node_completed", "each[2]/sq", { output: 9 }),
  ev(8, "node_completed", "each", { output: [1, 4, 9] }),
];
const execution = { id: "e1", workflow_id: "w1", version: 1, created_at: 0 };

describe("last run data for testing expressions", () => {
  it("reads node ids from event paths", () => {
    expect(nodeIdOfPath("each[2]/sq")).toEqual({ id: "sq", iteration: [2] });
    expect(nodeIdOfPath("outer[1]/inner[0]/x")).toEqual({ id: "x", iteration: [1, 0] });
    expect(nodeIdOfPath("get")).toEqual({ id: "get", iteration: [] });
  });

  it("collects the input, outputs (first loop iteration) and loop items", () => {
    const run = lastRunFromEvents(execution, events);
    expect(run.input).toEqual({ total: 150 });
    expect(run.outputs).toEqual({ start: { total: 150 }, get: { total: 150, items: [1, 2, 3] }, sq: 1, each: [1, 4, 9] });
    expect(run.loopItems).toEqual({ each: [1, 2, 3] });
  });

  it("builds the context a node sees: prev from its first predecessor", () => {
    const run = lastRunFromEvents(execution, events);
    const ctx = testContext(run, sampleDefinition(), "route");
    expect(ctx.prev).toEqual({ total: 150, items: [1, 2, 3] });
    expect(ctx.input).toEqual({ total: 150 });
    expect(ctx.vars).toEqual({ region: "eu" });
    expect(ctx.execution).toEqual({ id: "e1", workflow_id: "w1", version: 1 });
    expect((ctx.nodes as Record<string, unknown>).get).toBeDefined();
  });

  it("gives body nodes item and index, and the item as prev at the body's entry", () => {
    const run = lastRunFromEvents(execution, events);
    const entry = testContext(run, sampleDefinition(), "sq");
    expect(entry).toMatchObject({ item: 1, index: 0, prev: 1 });
    const next = testContext(run, sampleDefinition(), "log_item");
    expect(next.prev).toBe(1);
  });

  it("falls back to empty data when there is no run", () => {
    const ctx = testContext(null, sampleDefinition(), "start");
    expect(ctx).toMatchObject({ input: {}, nodes: {}, prev: {} });
  });
});
