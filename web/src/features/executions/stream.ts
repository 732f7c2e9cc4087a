// The live event feed of one execution: a WebSocket that replays from the last applied seq
// and then follows the run, folded into a `RunState` by the pure reducer. It lives outside
// React (an external store) so reconnects, token refreshes and gap filling are plain code
// that tests can drive with a fake socket and a fake clock.
//
// Close codes (gateway/src/stream.rs): 1000 after `execution_finished` (done); 4001 the token
// expired (reconnect at once with a fresh one); 4008 this client fell behind (reconnect at
// once); anything else (1006 network, 1001 server stopping, 1011) → reconnect with backoff.
// Every reconnect resumes after the last applied seq, and the reducer drops anything seen.
import { applyEvents, hasGap, initialRunState, isTerminal, type RunState } from "./runState";
import { Attempts, Backoff, CLOSE_NORMAL, CLOSE_TOKEN_EXPIRED, CLOSE_TOO_SLOW, closeQuietly, wsUrl, type SocketFactory } from "./socket";
import { isStreamEvent, type StreamEvent } from "./types";

export type Connection =
  /** Opening the socket (first time). */
  | "connecting"
  /** Receiving live events. */
  | "live"
  /** The socket dropped; trying again. */
  | "reconnecting"
  /** The execution finished and the server closed the stream. */
  | "ended"
  /** Stopped by the page, or no session to connect with. */
  | "stopped";

export interface StreamSnapshot {
  run: RunState;
  connection: Connection;
}

export interface StreamDeps {
  socket: () => SocketFactory;
  /** A bearer token; `force` asks for a fresh one (the last one expired). Null: logged out. */
  token: (force?: boolean) => Promise<string | null>;
  /** Stored events after `afterSeq` (`GET /executions/{id}/events`), for filling gaps. */
  fetchEvents: (id: string, afterSeq: number) => Promise<{ items: StreamEvent[]; next_after_seq?: number | null }>;
  /** The stream URL for a seq to resume after. */
  url: (id: string, fromSeq: number, token: string) => string;
  /** Delay before reconnect attempt `n` (1-based). */
  backoff: (n: number) => number;
  /** Events that arrive within this many ms are applied together (one render for a replay). */
  batchMs: number;
}

/** `ws(s)://<this origin>/api/v1/executions/{id}/stream?from_seq=…&access_token=…` */
export function streamUrl(id: string, fromSeq: number, token: string): string {
  return wsUrl(`/api/v1/executions/${encodeURIComponent(id)}/stream`, { from_seq: String(fromSeq), access_token: token });
}

export class ExecutionStream {
  private snap: StreamSnapshot = { run: initialRunState, connection: "connecting" };
  private listeners = new Set<() => void>();
  private ws: WebSocket | null = null;
  private running = false;
  private readonly backoff: Backoff;
  /** Renewed on every (re)connect and stop, so callbacks of an older socket are ignored. */
  private readonly attempts = new Attempts();
  private batchTimer: ReturnType<typeof setTimeout> | undefined;
  private batch: StreamEvent[] = [];
  private filling = false;
  private readonly id: string;
  private readonly deps: StreamDeps;

  constructor(id: string, deps: StreamDeps) {
    this.id = id;
    this.deps = deps;
    this.backoff = new Backoff(deps.backoff);
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): StreamSnapshot => this.snap;

  /** Connects (again, after `stop`); keeps the state already built. */
  start = (): void => {
    if (this.running) return;
    this.running = true;
    this.backoff.reset();
    void this.connect();
  };

  stop = (): void => {
    this.running = false;
    this.attempts.next();
    this.backoff.cancel();
    this.flush();
    this.closeSocket();
    this.set({ connection: "stopped" });
  };

  /**
   * Follows the execution again after it ended and was restarted (a retry): the server
   * closed the stream at `execution_finished`, and the new events come after it.
   */
  resume = (): void => {
    if (!this.running) return this.start();
    if (this.snap.connection !== "ended") return;
    this.backoff.reset();
    void this.connect();
  };

  private set(patch: Partial<StreamSnapshot>): void {
    const next = { ...this.snap, ...patch };
    if (next.run === this.snap.run && next.connection === this.snap.connection) return;
    this.snap = next;
    for (const l of this.listeners) l();
  }

  private closeSocket(): void {
    closeQuietly(this.ws);
    this.ws = null;
  }

  private async connect(): Promise<void> {
    const attempt = this.attempts.next();
    this.backoff.cancel();
    this.closeSocket();
    this.set({ connection: this.snap.run.lastSeq === 0 && this.backoff.failures === 0 ? "connecting" : "reconnecting" });
    await this.attempts.run(attempt, {
      token: (fresh) => this.deps.token(fresh),
      wanted: () => this.running,
      open: (token) => {
        const Socket = this.deps.socket();
        this.ws = new Socket(this.deps.url(this.id, this.snap.run.lastSeq, token));
        return this.ws;
      },
      // The refresh call itself failed (network): try again later with the same session.
      onTokenFailed: () => this.retryLater(),
      onSignedOut: () => this.set({ connection: "stopped" }),
      onOpen: () => {
        this.backoff.reset();
        this.set({ connection: "live" });
      },
      onMessage: (parsed) => {
        if (!isStreamEvent(parsed)) return;
        this.batch.push(parsed);
        this.batchTimer ??= setTimeout(() => this.flush(), this.deps.batchMs);
      },
      onClose: (code) => {
        this.ws = null;
        this.flush();
        this.onClosed(code);
      },
    });
  }

  private onClosed(code: number): void {
    if (!this.running) return;
    const finished = isTerminal(this.snap.run.status);
    if (code === CLOSE_NORMAL && finished) {
      this.set({ connection: "ended" });
      if (hasGap(this.snap.run)) void this.fillGap();
      return;
    }
    if (code === CLOSE_TOKEN_EXPIRED) {
      this.attempts.tokenExpired();
      void this.connect();
      return;
    }
    if (code === CLOSE_TOO_SLOW) {
      void this.connect();
      return;
    }
    this.retryLater();
  }

  private retryLater(): void {
    this.backoff.retry(() => {
      if (this.running) void this.connect();
    });
    this.set({ connection: "reconnecting" });
    // While the socket is down, keep the page moving from the store.
    if (this.backoff.failures >= 2) void this.fillGap(true);
  }

  private flush(): void {
    clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    if (!this.batch.length) return;
    const events = this.batch;
    this.batch = [];
    this.set({ run: applyEvents(this.snap.run, events) });
    if (hasGap(this.snap.run)) void this.fillGap();
  }

  /**
   * Reads stored events after the last applied seq until the gap is closed (or, with
   * `catchUp`, until the store has nothing newer). One fill at a time.
   */
  private async fillGap(catchUp = false): Promise<void> {
    if (this.filling) return;
    this.filling = true;
    try {
      for (let guard = 0; guard < 100 && this.running; guard++) {
        if (!catchUp && !hasGap(this.snap.run)) break;
        const page = await this.deps.fetchEvents(this.id, this.snap.run.lastSeq);
        const before = this.snap.run.lastSeq;
        this.set({ run: applyEvents(this.snap.run, page.items) });
        if (this.snap.run.lastSeq === before || !page.next_after_seq) break;
      }
    } catch {
      // The next message or reconnect tries again.
    } finally {
      this.filling = false;
    }
  }
}
