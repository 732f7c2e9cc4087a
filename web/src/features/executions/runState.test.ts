import { describe, expect, it } from "vitest";
import { applyEvents, hasGap, initialRunState, parsePath, type RunState } from "./runState";
import { canvasRunState, detailsForId, indexDefinition, nodeInput } from "./selectors";
import { DEMO_NODE_IDS, T0, demoDefinition, demoEvents, eventsUpTo } from "./testFixtures";
import type { StreamEvent } from "./types";

const run = (events: StreamEvent[], from: RunState = initialRunState) => applyEvents(from, events);
const ev = (seq: number, type: string, data: Record<string, unknown> = {}): StreamEvent => ({
  seq,
  type,
  node_id: typeof data.node === "string" ? data.node : null,
  at: T0 + seq * 25,
  data,
});

describe("applyEvents: order and delivery", () => {
  it("applies events in seq order whatever order they arrive in", () => {
    const shuffled = [demoEvents[2], demoEvents[0], demoEvents[1]];
    const s = run(shuffled);
    expect(s.lastSeq).toBe(3);
    expect(s.events.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(s.nodes.start.status).toBe("succeeded");
    expect(s.pending).toEqual([]);
  });

  it("never applies a seq twice: replayed events are dropped and nothing changes", () => {
    const once = run(eventsUpTo(10));
    const again = applyEvents(once, eventsUpTo(10));
    expect(again).toBe(once);
    // A reconnect replaying from an earlier seq overlaps what was applied.
    const overlap = applyEvents(once, demoEvents.slice(5, 14));
    expect(overlap.events.map((e) => e.seq)).toEqual(eventsUpTo(14).map((e) => e.seq));
    expect(overlap.nodes["each[0]/sq"].attempts).toHaveLength(1);
  });

  it("holds events after a gap until the gap is filled", () => {
    const s = run([...eventsUpTo(3), demoEvents[5], demoEvents[6]]);
    expect(s.lastSeq).toBe(3);
    expect(hasGap(s)).toBe(true);
    expect(s.pending.map((e) => e.seq)).toEqual([6, 7]);
    expect(s.nodes["each[0]/sq"]).toBeUndefined();

    const filled = applyEvents(s, [demoEvents[3], demoEvents[4]]);
    expect(hasGap(filled)).toBe(false);
    expect(filled.lastSeq).toBe(7);
    expect(filled.nodes["each[0]/sq"].status).toBe("succeeded");
  });

  it("keeps the first copy of a pending seq", () => {
    const s = run([ev(1, "execution_started", { input: {} }), ev(3, "node_skipped", { node: "a" })]);
    const dup = applyEvents(s, [{ ...ev(3, "node_skipped", { node: "b" }) }]);
    const filled = applyEvents(dup, [ev(2, "node_skipped", { node: "c" })]);
    expect(Object.keys(filled.nodes).sort()).toEqual(["a", "c"]);
  });
});

describe("applyEvents: node and execution state", () => {
  it("starts the execution and records its input and version", () => {
    const s = run(eventsUpTo(1));
    expect(s).toMatchObject({ status: "running", version: 1, input: { items: [1, 2, 3] }, startedAt: T0 + 25 });
  });

  it("follows a node through scheduled → succeeded with its output and ports", () => {
    const s = run(eventsUpTo(28));
    expect(s.nodes.big).toMatchObject({ status: "succeeded", output: [1, 4, 9], ports: ["true"], hasOutput: true });
    expect(s.nodes.big.attempts).toEqual([
      { attempt: 1, startedAt: T0 + 27 * 25, endedAt: T0 + 28 * 25, outcome: "succeeded" },
    ]);
  });

  it("counts retries: a failed attempt shows failed until the next one is scheduled", () => {
    const err = { kind: "transient", message: "503 from upstream" };
    let s = run([ev(1, "execution_started", { input: {} }), ev(2, "node_scheduled", { node: "h", attempt: 1 })]);
    s = applyEvents(s, [ev(3, "node_attempt_failed", { node: "h", attempt: 1, error: err })]);
    expect(s.nodes.h.status).toBe("failed");
    expect(canvasRunState(s, ["h"], s.status).h).toEqual({ status: "failed", attempts: 1, error: "503 from upstream" });

    s = applyEvents(s, [ev(4, "node_scheduled", { node: "h", attempt: 2 })]);
    expect(canvasRunState(s, ["h"], s.status).h).toEqual({ status: "running", attempts: 2 });
    s = applyEvents(s, [ev(5, "node_completed", { node: "h", output: { ok: 1 }, ports: ["main"] })]);
    expect(s.nodes.h.attempts.map((a) => [a.attempt, a.outcome, a.error?.kind])).toEqual([
      [1, "failed", "transient"],
      [2, "succeeded", undefined],
    ]);
    expect(canvasRunState(s, ["h"], s.status).h).toEqual({ status: "succeeded", attempts: 2 });
  });

  it("marks skipped nodes and waits, and makes the execution waiting while nothing runs", () => {
    const s = run(eventsUpTo(30));
    expect(s.nodes.small.status).toBe("skipped");
    expect(s.nodes.approve).toMatchObject({ status: "waiting", wait: { kind: "signal", name: "approval" } });
    expect(s.awaiting).toEqual([{ name: "approval", node: "approve", timeoutAt: 1795856497872 }]);
    expect(s.status).toBe("waiting");

    const after = applyEvents(s, [demoEvents[30], demoEvents[31]]);
    expect(after.awaiting).toEqual([]);
    expect(after.nodes.approve.status).toBe("succeeded");
    expect(after.nodes.approve.wait).toMatchObject({ kind: "signal", receivedAt: T0 + 31 * 25 });
  });

  it("shows a timer wait", () => {
    const s = run([
      ev(1, "execution_started", { input: {} }),
      ev(2, "node_scheduled", { node: "pause", attempt: 1 }),
      ev(3, "timer_started", { node: "pause", due_at: T0 + 60_000 }),
    ]);
    expect(s.nodes.pause).toMatchObject({ status: "waiting", wait: { kind: "timer", dueAt: T0 + 60_000 } });
    expect(s.status).toBe("waiting");
  });

  it("keeps each loop iteration apart and lets the last one colour the canvas", () => {
    const s = run(eventsUpTo(16));
    expect(s.nodes.each.loop?.items).toEqual([1, 2, 3]);
    expect(Object.keys(s.nodes.each.loop!.iterations)).toEqual(["0", "1"]);
    expect(s.nodes.each.loop!.iterations[0]).toMatchObject({ completedAt: T0 + 11 * 25, output: 1 });
    expect(detailsForId(s, "sq").map((d) => [d.path, d.output])).toEqual([
      ["each[0]/sq", 1],
      ["each[1]/sq", 4],
    ]);
    const canvas = canvasRunState(s, DEMO_NODE_IDS, s.status);
    expect(canvas.sq).toEqual({ status: "succeeded", attempts: 1 });
    // Iteration 1's `lg` is running; iteration 0's finished one does not win.
    expect(canvas.lg).toEqual({ status: "running", attempts: 1 });
    expect(canvas.each.status).toBe("running");
    expect(s.status).toBe("running");
  });

  it("parses nested loop paths", () => {
    expect(parsePath("outer[1]/inner[0]/sq")).toEqual({ id: "sq", iteration: [1, 0], scope: ["outer[1]", "inner[0]"] });
    expect(parsePath("start")).toEqual({ id: "start", iteration: [], scope: [] });
  });

  it("retries from the failed node: resets it to queued and keeps its earlier attempts", () => {
    const failed = run(eventsUpTo(35));
    expect(failed.status).toBe("failed");
    expect(failed.error).toMatchObject({ kind: "permanent", node: "boom" });
    expect(failed.finishedAt).toBe(T0 + 35 * 25);

    const retried = applyEvents(failed, [demoEvents[35]]);
    expect(retried.status).toBe("running");
    expect(retried.error).toBeUndefined();
    expect(retried.finishedAt).toBeUndefined();
    expect(retried.nodes.boom).toMatchObject({ status: "queued", attempts: [] });
    expect(retried.nodes.boom.earlierAttempts).toHaveLength(1);
    // Completed nodes keep their output.
    expect(retried.nodes.approve.output).toEqual({ ok: true });
    expect(canvasRunState(retried, DEMO_NODE_IDS, retried.status).boom).toEqual({ status: "queued", attempts: 0 });

    const again = applyEvents(retried, [demoEvents[36]]);
    expect(again.nodes.boom.status).toBe("running");
    const end = applyEvents(again, demoEvents.slice(37));
    expect(end.status).toBe("failed");
    expect(end.nodes.boom.earlierAttempts).toHaveLength(1);
    expect(end.nodes.boom.attempts).toHaveLength(1);
  });

  it("resets a retried loop's body iterations", () => {
    const s = run([
      ev(1, "execution_started", { input: {} }),
      ev(2, "loop_started", { node: "each", input: {}, items: [1] }),
      ev(3, "iteration_started", { node: "each", index: 0 }),
      ev(4, "node_scheduled", { node: "each[0]/sq", attempt: 1 }),
      ev(5, "node_attempt_failed", { node: "each[0]/sq", attempt: 1, error: { kind: "permanent", message: "no" } }),
      ev(6, "execution_finished", { status: "failed", error: { kind: "permanent", message: "no" } }),
      ev(7, "execution_retried", { nodes: ["each"] }),
    ]);
    expect(s.nodes["each[0]/sq"]).toBeUndefined();
    expect(s.nodes.each.status).toBe("queued");
    expect(s.nodes.each.loop).toBeUndefined();
  });

  it("fails what was still running when the execution is cancelled", () => {
    const s = run([
      ev(1, "execution_started", { input: {} }),
      ev(2, "node_scheduled", { node: "slow", attempt: 1 }),
      ev(3, "cancel_requested", { reason: "stop it" }),
      ev(4, "execution_finished", { status: "cancelled" }),
    ]);
    expect(s.status).toBe("cancelled");
    expect(s.cancelReason).toBe("stop it");
    expect(s.nodes.slow.status).toBe("failed");
    expect(s.nodes.slow.attempts[0]).toMatchObject({ outcome: "failed", error: { kind: "cancelled", message: "stop it" } });
  });

  it("says why a waiting node stopped when the execution timed out under it", () => {
    const s = run([
      ev(1, "execution_started", { input: {} }),
      ev(2, "signal_awaited", { node: "approve", name: "ok" }),
      ev(3, "execution_finished", { status: "timed_out" }),
    ]);
    expect(s.awaiting).toEqual([]);
    expect(s.nodes.approve.interrupted).toEqual({ kind: "timed_out", message: "execution timed out" });
    expect(canvasRunState(s, ["approve"], s.status).approve).toEqual({ status: "failed", attempts: 0, error: "execution timed out" });
  });

  it("records the child execution a call started", () => {
    const s = run([
      ev(1, "execution_started", { input: {} }),
      ev(2, "node_scheduled", { node: "call", attempt: 1 }),
      ev(3, "child_started", { node: "call", child_id: "child-1", workflow_id: "wf-2", input: { a: 1 } }),
    ]);
    expect(s.nodes.call.child).toEqual({ id: "child-1", workflowId: "wf-2", version: undefined, input: { a: 1 } });
    // The call waits for its child: nothing of this execution is working.
    expect(s.status).toBe("running");
  });

  it("changes nothing but the timeline for log lines and unknown events", () => {
    const s = run([ev(1, "execution_started", { input: {} }), ev(2, "log", { level: "info", message: "hi" }), ev(3, "brand_new", {})]);
    expect(s.events.map((e) => e.type)).toEqual(["execution_started", "log", "brand_new"]);
    expect(s.nodes).toEqual({});
  });
});

describe("canvasRunState", () => {
  it("shows unreached nodes as queued while the execution runs, and nothing once it ended", () => {
    const running = run(eventsUpTo(3));
    const live = canvasRunState(running, DEMO_NODE_IDS, running.status);
    expect(live.start.status).toBe("succeeded");
    expect(live.boom).toEqual({ status: "queued", attempts: 0 });
    expect(live.sq).toEqual({ status: "queued", attempts: 0 });

    const ended = canvasRunState(running, DEMO_NODE_IDS, "cancelled");
    expect(ended.boom).toBeUndefined();
    expect(ended.start.status).toBe("succeeded");
  });

  it("shows queued for every node before the first event arrives", () => {
    expect(canvasRunState(initialRunState, ["a", "b"], "queued")).toEqual({
      a: { status: "queued", attempts: 0 },
      b: { status: "queued", attempts: 0 },
    });
  });
});

describe("nodeInput", () => {
  const index = indexDefinition(demoDefinition);
  const s = run(eventsUpTo(32));

  it("is the execution input for a trigger", () => {
    expect(nodeInput(index, s, "start")).toEqual({ known: true, value: { items: [1, 2, 3] } });
  });

  it("is the item for a for_each body entry, and the previous node's output after it", () => {
    expect(nodeInput(index, s, "each[1]/sq")).toEqual({ known: true, value: 2 });
    expect(nodeInput(index, s, "each[2]/lg")).toEqual({ known: true, value: 9 });
  });

  it("is the loop's own input for the loop", () => {
    expect(nodeInput(index, s, "each")).toEqual({ known: true, value: { items: [1, 2, 3] } });
  });

  it("follows only the activated port", () => {
    expect(nodeInput(index, s, "approve")).toEqual({ known: true, value: [1, 4, 9] });
    expect(nodeInput(index, s, "small")).toEqual({ known: false });
  });

  it("is keyed by source when several edges activated the node", () => {
    const def = {
      name: "m",
      nodes: [
        { id: "a", type: "data.set" },
        { id: "b", type: "data.set" },
        { id: "m", type: "flow.merge" },
      ],
      edges: [
        { from: "a", to: "m" },
        { from: "b", to: "m" },
      ],
    };
    const st = run([
      ev(1, "execution_started", { input: {} }),
      ev(2, "node_completed", { node: "a", output: 1, ports: ["main"] }),
      ev(3, "node_completed", { node: "b", output: 2, ports: ["main"] }),
    ]);
    expect(nodeInput(indexDefinition(def), st, "m")).toEqual({ known: true, value: { a: 1, b: 2 } });
  });

  it("is the previous iteration's result inside a while loop", () => {
    const def = {
      name: "w",
      nodes: [{ id: "w", type: "flow.while", config: { body: { nodes: [{ id: "inc", type: "data.transform" }] } } }],
    };
    const st = run([
      ev(1, "execution_started", { input: {} }),
      ev(2, "loop_started", { node: "w", input: 10 }),
      ev(3, "iteration_started", { node: "w", index: 0 }),
      ev(4, "iteration_completed", { node: "w", index: 0, output: 11 }),
      ev(5, "iteration_started", { node: "w", index: 1 }),
    ]);
    const idx = indexDefinition(def);
    expect(nodeInput(idx, st, "w[0]/inc")).toEqual({ known: true, value: 10 });
    expect(nodeInput(idx, st, "w[1]/inc")).toEqual({ known: true, value: 11 });
    expect(nodeInput(idx, st, "w[2]/inc")).toEqual({ known: false });
  });
});
