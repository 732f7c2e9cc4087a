// A WebSocket the tests drive: it records every socket opened (URL, query) and lets the
// test play the server (open, send events, close with a code).
import type { StreamEvent } from "./types";

/** A WebSocket the test drives: it records what was opened and lets the test play the server. */
export class FakeSocket {
  static all: FakeSocket[] = [];
  static latest() {
    return FakeSocket.all[FakeSocket.all.length - 1];
  }
  readyState = 0;
  onopen: ((e: Event) => void) | null = null;
  onmessage: ((e: MessageEvent) => void) | null = null;
  onclose: ((e: CloseEvent) => void) | null = null;
  onerror: ((e: Event) => void) | null = null;
  closedByClient: number | undefined;
  constructor(public url: string) {
    FakeSocket.all.push(this);
  }
  get fromSeq() {
    return Number(new URL(this.url).searchParams.get("from_seq"));
  }
  get token() {
    return new URL(this.url).searchParams.get("access_token");
  }
  open() {
    this.readyState = 1;
    this.onopen?.(new Event("open"));
  }
  /** What the client sent (multiplexed socket subscriptions), parsed. */
  sent: unknown[] = [];
  send(text: string) {
    this.sent.push(JSON.parse(text));
  }
  /** The server sends these events. */
  emit(events: StreamEvent[]) {
    for (const e of events) this.message(e);
  }
  message(payload: unknown) {
    this.onmessage?.({ data: JSON.stringify(payload) } as MessageEvent);
  }
  serverClose(code: number) {
    this.readyState = 3;
    this.onclose?.({ code } as CloseEvent);
  }
  close(code?: number) {
    this.closedByClient = code;
    this.readyState = 3;
  }
}
