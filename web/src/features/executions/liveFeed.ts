// Live status for execution lists over the multiplexed socket (`/api/v1/ws`): one socket,
// a `subscribe` per workflow whose executions are on screen, and every event of those
// executions pushed to us. Lists patch their cached rows from it instead of polling; when
// the socket cannot be kept up, `healthy` turns false and the list falls back to polling.
import { CLOSE_NORMAL, CLOSE_TOKEN_EXPIRED, defaultBackoff, type SocketFactory } from "./stream";
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
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  return `${proto}//${location.host}/api/v1/ws?${new URLSearchParams({ access_token: token })}`;
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
  private failures = 0;
  private forceToken = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private generation = 0;
  private healthy = true;
  private readonly deps: FeedDeps;
  private readonly onEvent: (e: FeedEvent) => void;
  private readonly onHealth: (healthy: boolean) => void;

  constructor(deps: FeedDeps, onEvent: (e: FeedEvent) => void, onHealth: (healthy: boolean) => void) {
    this.deps = deps;
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
    this.generation++;
    clearTimeout(this.timer);
    const ws = this.ws;
    this.ws = null;
    this.open = false;
    this.subscribed.clear();
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      if (ws.readyState === 0 || ws.readyState === 1) ws.close(CLOSE_NORMAL);
    }
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
    const gen = ++this.generation;
    let token: string | null;
    try {
      token = await this.deps.token(this.forceToken);
    } catch {
      if (gen === this.generation) this.retryLater();
      return;
    }
    if (gen !== this.generation || !this.running) return;
    this.forceToken = false;
    if (!token) return this.setHealthy(false);
    const Socket = this.deps.socket();
    const ws = new Socket(this.deps.url(token));
    this.ws = ws;
    ws.onopen = () => {
      if (gen !== this.generation) return;
      this.open = true;
      this.failures = 0;
      this.subscribed.clear();
      this.sync();
      this.setHealthy(true);
    };
    ws.onmessage = (m: MessageEvent) => {
      if (gen !== this.generation) return;
      let msg: unknown;
      try {
        msg = JSON.parse(String(m.data));
      } catch {
        return;
      }
      const o = msg as Partial<FeedEvent> & { op?: string };
      if (o?.op === "event" && typeof o.execution_id === "string" && isStreamEvent(o.event)) {
        this.onEvent({ execution_id: o.execution_id, workflow_id: String(o.workflow_id ?? ""), event: o.event });
      }
    };
    ws.onclose = (c: CloseEvent) => {
      if (gen !== this.generation) return;
      this.ws = null;
      this.open = false;
      if (!this.running) return;
      if (c.code === CLOSE_TOKEN_EXPIRED) {
        this.forceToken = true;
        void this.connect();
        return;
      }
      this.retryLater();
    };
  }

  private retryLater(): void {
    this.failures++;
    if (this.failures >= UNHEALTHY_AFTER) this.setHealthy(false);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (this.running) void this.connect();
    }, this.deps.backoff(this.failures));
  }
}
