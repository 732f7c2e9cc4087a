// React's view of an execution's live feed: one `ExecutionStream` per execution id, started
// while the component is mounted, read through useSyncExternalStore so a burst of events is
// one consistent snapshot per render.
import { useEffect, useMemo, useSyncExternalStore } from "react";
import { accessToken, api, call } from "@/api/client";
import { defaultBackoff } from "./socket";
import { ExecutionStream, streamUrl, type StreamDeps, type StreamSnapshot } from "./stream";
import type { StreamEvent } from "./types";

async function fetchEvents(id: string, afterSeq: number) {
  const page = await call(() =>
    api.GET("/api/v1/executions/{id}/events", { params: { path: { id }, query: { after_seq: afterSeq, limit: 1000 } } }),
  );
  return { items: page.items as unknown as StreamEvent[], next_after_seq: page.next_after_seq };
}

export const browserStreamDeps: StreamDeps = {
  // Looked up per connection, so a test's stub installed after import is the one used.
  socket: () => globalThis.WebSocket,
  token: accessToken,
  fetchEvents,
  url: streamUrl,
  backoff: defaultBackoff,
  batchMs: 50,
};

export function useExecutionStream(
  id: string,
  deps: StreamDeps = browserStreamDeps,
): StreamSnapshot & { resume: () => void } {
  const stream = useMemo(() => new ExecutionStream(id, deps), [id, deps]);
  useEffect(() => {
    stream.start();
    return stream.stop;
  }, [stream]);
  const snap = useSyncExternalStore(stream.subscribe, stream.getSnapshot);
  return { ...snap, resume: stream.resume };
}
