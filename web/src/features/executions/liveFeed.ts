// Live status for execution lists over the multiplexed socket (`/api/v1/ws`): one socket,
// a `subscribe` per workflow whose executions are on screen, and every event of those
// executions pushed to us. Lists patch their cached rows from it instead of polling; when
// the socket cannot be kept up, `healthy` turns false and the list falls back to polling.
import { Attempts, Backoff, CLOSE_TOKEN_EXPIRED, closeQuietly, defaultBackoff, wsUrl, type SocketFactory } from "./socket";
import { isStreamEvent, type StreamEvent } from "./types";

export interface FeedEvent {
  execution_id: string;
  workflow_id: string;
  event: StreamEvent;
}

export interface FeedDeps {
  socket: () => SocketFactory;
  token: (force?: boolean) => Promise<string | null>;
  url: (token: string) => string;
  backoff: (n: number) => number;
}

export function feedUrl(token: string): string {
  return wsUrl("/api/v1/ws", { access_token: token });
}

export const defaultFeedDeps = (token: FeedDeps["token"]): FeedDeps => ({
  socket: () => globalThis.WebSocket,
  token,
  url: feedUrl,
  backoff: defaultBackoff,
});

/** Failed connection attempts in a row before the list stops trusting the socket. */
const UNHEALTHY_AFTER = 2;

export class LiveFeed {
  private ws: WebSocket | null = null;
  private open = false;
  private running = false;
  private wanted = new Set<string>();
  private subscribed = new Set<string>();
  private readonly backoff: Backoff;
  private readonly attempts = new Attempts();
  private healthy = true;
  private readonly deps: FeedDeps;
  private readonly onEvent: (e: FeedEvent) => void;
  private readonly onHealth: (healthy: boolean) => void;

  constructor(deps: FeedDeps, onEvent: (e: FeedEvent) => void, onHealth: (healthy: boolean) => void) {
    this.deps = deps;
    this.backoff = new Backoff(deps.backoff);
    this.onEvent = onEvent;
    this.onHealth = onHealth;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.connect();
  }

  stop(): void {
    this.running = false;
    this.attempts.next();
    this.backoff.cancel();
    closeQuietly(this.ws);
    this.ws = null;
    this.open = false;
    this.subscribed.clear();
  }

  /** The workflows to follow; subscribes to new ones and drops the rest. */
  setWorkflows(ids: Iterable<string>): void {
    this.wanted = new Set(ids);
    this.sync();
  }

  private setHealthy(h: boolean): void {
    if (h === this.healthy) return;
    this.healthy = h;
    this.onHealth(h);
  }

  private sync(): void {
    const ws = this.ws;
    if (!ws || !this.open) return;
    for (const id of this.wanted) {
      if (!this.subscribed.has(id)) {
        ws.send(JSON.stringify({ op: "subscribe", workflow_id: id }));
        this.subscribed.add(id);
      }
    }
    for (const id of [...this.subscribed]) {
      if (!this.wanted.has(id)) {
        ws.send(JSON.stringify({ op: "unsubscribe", workflow_id: id }));
        this.subscribed.delete(id);
      }
    }
  }

  private async connect(): Promise<void> {
    await this.attempts.run(this.attempts.next(), {
      token: (fresh) => this.deps.token(fresh),
      wanted: () => this.running,
      open: (token) => {
        const Socket = this.deps.socket();
        this.ws = new Socket(this.deps.url(token));
        return this.ws;
      },
      onTokenFailed: () => this.retryLater(),
      onSignedOut: () => this.setHealthy(false),
      onOpen: () => {
        this.open = true;
        this.backoff.reset();
        this.subscribed.clear();
        this.sync();
        this.setHealthy(true);
      },
      onMessage: (msg) => {
        const o = msg as Partial<FeedEvent> & { op?: string };
        if (o?.op === "event" && typeof o.execution_id === "string" && isStreamEvent(o.event)) {
          this.onEvent({ execution_id: o.execution_id, workflow_id: String(o.workflow_id ?? ""), event: o.event });
        }
      },
      onClose: (code) => {
        this.ws = null;
        this.open = false;
        if (!this.running) return;
        if (code === CLOSE_TOKEN_EXPIRED) {
          this.attempts.tokenExpired();
          void this.connect();
          return;
        }
        this.retryLater();
      },
    });
  }

  private retryLater(): void {
    this.backoff.retry(() => {
      if (this.running) void this.connect();
    });
    if (this.backoff.failures >= UNHEALTHY_AFTER) this.setHealthy(false);
  }
}
