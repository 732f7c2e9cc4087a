import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { act, renderHook } from "@testing-library/react";
import type { SocketFactory } from "./socket";
import { ExecutionStream, type StreamDeps } from "./stream";
import { useExecutionStream } from "./useExecutionStream";
import { EXECUTION_ID, demoEvents, eventsUpTo } from "./testFixtures";
import { FakeSocket } from "./testSocket";

function makeDeps(over: Partial<StreamDeps> = {}) {
  let n = 0;
  const token = vi.fn(async (force?: boolean) => (force ? `fresh-${++n}` : "tok"));
  const fetchEvents = vi.fn(async (_id: string, after: number) => ({
    items: demoEvents.filter((e) => e.seq > after).slice(0, 5),
    next_after_seq: null,
  }));
  const deps: StreamDeps = {
    socket: () => FakeSocket as unknown as SocketFactory,
    token,
    fetchEvents,
    url: (id, from, t) => `ws://localhost/api/v1/executions/${id}/stream?from_seq=${from}&access_token=${t}`,
    backoff: (k) => 1000 * k,
    batchMs: 10,
    ...over,
  };
  return { deps, token, fetchEvents };
}

/** Lets promise callbacks (token lookups) and the batching timer run. */
async function settle(ms = 20) {
  await act(async () => {
    await vi.advanceTimersByTimeAsync(ms);
  });
}

describe("ExecutionStream", () => {
  beforeEach(() => {
    FakeSocket.all = [];
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  async function started(over: Partial<StreamDeps> = {}) {
    const m = makeDeps(over);
    const s = new ExecutionStream(EXECUTION_ID, m.deps);
    s.start();
    await settle();
    return { s, ...m };
  }

  it("replays from seq 0 with the session token, then applies live events in one batch", async () => {
    const { s } = await started();
    const ws = FakeSocket.latest();
    expect(ws.fromSeq).toBe(0);
    expect(ws.token).toBe("tok");
    expect(s.getSnapshot().connection).toBe("connecting");
    ws.open();
    expect(s.getSnapshot().connection).toBe("live");
    const renders = vi.fn();
    s.subscribe(renders);
    ws.emit(eventsUpTo(10));
    await settle();
    expect(s.getSnapshot().run.lastSeq).toBe(10);
    // A replay of ten events is one change, not ten.
    expect(renders).toHaveBeenCalledTimes(1);
  });

  it("ends quietly when the server closes normally after execution_finished", async () => {
    const { s } = await started();
    const ws = FakeSocket.latest();
    ws.open();
    ws.emit(eventsUpTo(35));
    ws.serverClose(1000);
    await settle(60_000);
    expect(s.getSnapshot().connection).toBe("ended");
    expect(s.getSnapshot().run.status).toBe("failed");
    expect(FakeSocket.all).toHaveLength(1);
  });

  it("reconnects at once with a fresh token after 4001, from the last applied seq", async () => {
    const { s, token } = await started();
    FakeSocket.latest().open();
    FakeSocket.latest().emit(eventsUpTo(12));
    FakeSocket.latest().serverClose(4001);
    await settle();
    expect(token).toHaveBeenLastCalledWith(true);
    const again = FakeSocket.latest();
    expect(FakeSocket.all).toHaveLength(2);
    expect(again.token).toBe("fresh-1");
    expect(again.fromSeq).toBe(12);
    // The server replays after 12; anything older it sends again is ignored.
    again.open();
    again.emit(demoEvents.slice(8, 16));
    await settle();
    expect(s.getSnapshot().run.events.map((e) => e.seq)).toEqual(eventsUpTo(16).map((e) => e.seq));
  });

  it("reconnects at once after 4008 (too slow) with the same token", async () => {
    const { token } = await started();
    FakeSocket.latest().open();
    FakeSocket.latest().emit(eventsUpTo(5));
    FakeSocket.latest().serverClose(4008);
    await settle();
    expect(FakeSocket.all).toHaveLength(2);
    expect(FakeSocket.latest().fromSeq).toBe(5);
    expect(token).toHaveBeenLastCalledWith(false);
  });

  it("backs off after abnormal closes and resets the backoff once connected", async () => {
    const { s } = await started();
    FakeSocket.latest().serverClose(1006);
    expect(s.getSnapshot().connection).toBe("reconnecting");
    await settle(999);
    expect(FakeSocket.all).toHaveLength(1);
    await settle(1);
    expect(FakeSocket.all).toHaveLength(2);

    FakeSocket.latest().serverClose(1006);
    await settle(1999);
    expect(FakeSocket.all).toHaveLength(2);
    await settle(1);
    expect(FakeSocket.all).toHaveLength(3);

    FakeSocket.latest().open();
    FakeSocket.latest().serverClose(1006);
    await settle(1000);
    expect(FakeSocket.all).toHaveLength(4);
  });

  it("catches up from the store while the socket keeps failing", async () => {
    const { s, fetchEvents } = await started();
    FakeSocket.latest().serverClose(1006);
    await settle(1000);
    expect(fetchEvents).not.toHaveBeenCalled();
    FakeSocket.latest().serverClose(1006);
    await settle();
    expect(fetchEvents).toHaveBeenCalledWith(EXECUTION_ID, 0);
    expect(s.getSnapshot().run.lastSeq).toBe(5);
  });

  it("fills a gap from the events endpoint instead of skipping it", async () => {
    const { s, fetchEvents } = await started();
    const ws = FakeSocket.latest();
    ws.open();
    ws.emit([...eventsUpTo(3), ...demoEvents.slice(8, 10)]);
    await settle();
    expect(fetchEvents).toHaveBeenCalledWith(EXECUTION_ID, 3);
    const run = s.getSnapshot().run;
    expect(run.lastSeq).toBe(10);
    expect(run.pending).toEqual([]);
    expect(run.events.map((e) => e.seq)).toEqual(eventsUpTo(10).map((e) => e.seq));
  });

  it("stops for good when there is no session", async () => {
    const { s } = await started({ token: async () => null });
    expect(FakeSocket.all).toHaveLength(0);
    expect(s.getSnapshot().connection).toBe("stopped");
  });

  it("ignores a socket it has replaced or stopped", async () => {
    const { s } = await started();
    const first = FakeSocket.latest();
    first.open();
    s.stop();
    expect(first.closedByClient).toBe(1000);
    first.emit(eventsUpTo(3));
    first.serverClose(1006);
    await settle(10_000);
    expect(s.getSnapshot().run.lastSeq).toBe(0);
    expect(FakeSocket.all).toHaveLength(1);
  });

  it("resumes after a retry of an ended execution, from after its last event", async () => {
    const { s } = await started();
    FakeSocket.latest().open();
    FakeSocket.latest().emit(eventsUpTo(35));
    FakeSocket.latest().serverClose(1000);
    await settle();
    s.resume();
    await settle();
    expect(FakeSocket.all).toHaveLength(2);
    expect(FakeSocket.latest().fromSeq).toBe(35);
    FakeSocket.latest().open();
    FakeSocket.latest().emit(demoEvents.slice(35, 37));
    await settle();
    expect(s.getSnapshot().run.status).toBe("running");
  });

  it("ignores messages that are not events", async () => {
    const { s } = await started();
    const ws = FakeSocket.latest();
    ws.open();
    ws.onmessage?.({ data: "not json" } as MessageEvent);
    ws.onmessage?.({ data: JSON.stringify({ op: "subscribed" }) } as MessageEvent);
    await settle();
    expect(s.getSnapshot().run).toMatchObject({ lastSeq: 0, events: [] });
  });
});

describe("useExecutionStream", () => {
  beforeEach(() => {
    FakeSocket.all = [];
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it("connects on mount, renders the run state, and closes on unmount", async () => {
    const { deps } = makeDeps();
    const { result, unmount } = renderHook(() => useExecutionStream(EXECUTION_ID, deps));
    await settle();
    const ws = FakeSocket.latest();
    act(() => ws.open());
    expect(result.current.connection).toBe("live");
    act(() => ws.emit(eventsUpTo(30)));
    await settle();
    expect(result.current.run.status).toBe("waiting");
    expect(result.current.run.nodes.approve.status).toBe("waiting");
    unmount();
    expect(ws.closedByClient).toBe(1000);
  });
});
