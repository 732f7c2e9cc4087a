// What the two live sockets share — one execution's stream (./stream) and the multiplexed
// feed for lists (./liveFeed): the gateway's close codes, URLs on this origin, closing a
// socket without hearing from it again, and reconnecting with growing delays.

/** A WebSocket constructor: the browser's, or a fake in tests. */
export type SocketFactory = new (url: string) => WebSocket;

export const CLOSE_NORMAL = 1000;
export const CLOSE_TOKEN_EXPIRED = 4001;
export const CLOSE_TOO_SLOW = 4008;

/** 0.5 s, 1 s, 2 s … capped at 15 s, with ±25 % jitter so many tabs do not reconnect in step. */
export function defaultBackoff(n: number): number {
  const base = Math.min(15_000, 500 * 2 ** Math.max(0, n - 1));
  return Math.round(base * (0.75 + Math.random() * 0.5));
}

/** `ws(s)://<this origin><path>?<query>`. */
export function wsUrl(path: string, query: Record<string, string>): string {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  return `${proto}//${location.host}${path}?${new URLSearchParams(query)}`;
}

/** Closes `ws` (if still open or opening) after unhooking it, so none of its events arrive. */
export function closeQuietly(ws: WebSocket | null): void {
  if (!ws) return;
  ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
  if (ws.readyState === 0 || ws.readyState === 1) ws.close(CLOSE_NORMAL);
}

/**
 * Reconnect attempts after failures in a row, each later than the last: counts the failures
 * and keeps at most one attempt scheduled.
 */
export class Backoff {
  /** Failed attempts since the last success (or reset). */
  failures = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly delay: (n: number) => number;

  /** `delay(n)`: how long to wait before attempt `n` (1-based). */
  constructor(delay: (n: number) => number) {
    this.delay = delay;
  }

  /** Counts a failure and runs `attempt` after the delay for it, replacing any scheduled one. */
  retry(attempt: () => void): void {
    this.failures++;
    clearTimeout(this.timer);
    this.timer = setTimeout(attempt, this.delay(this.failures));
  }

  /** Drops the scheduled attempt, if any. */
  cancel(): void {
    clearTimeout(this.timer);
  }

  /** Connected: the next failure waits the shortest delay again. */
  reset(): void {
    this.failures = 0;
  }
}

/** What one connection attempt needs, and where it reports, for `Attempts.run`. */
export interface AttemptHandlers {
  /** A bearer token; `fresh` asks for a new one (the last one expired). Null: signed out. */
  token: (fresh: boolean) => Promise<string | null>;
  /** Whether a connection is still wanted once the token is there. */
  wanted: () => boolean;
  /** Opens (and keeps) the socket for this token. */
  open: (token: string) => WebSocket;
  /** The token call itself failed (network). */
  onTokenFailed: () => void;
  /** No session to connect with. */
  onSignedOut: () => void;
  onOpen: () => void;
  /** A message, parsed as JSON; one that is not JSON is dropped. */
  onMessage: (data: unknown) => void;
  onClose: (code: number) => void;
}

/**
 * Numbers connection attempts so that only the latest is heard: the events of an earlier
 * attempt's socket, and a token that arrives after a newer attempt began (or a stop), are
 * ignored. Remembers when the last token expired, so the next attempt asks for a fresh one.
 */
export class Attempts {
  private latest = 0;
  private freshToken = false;

  /** Begins a new attempt, or (on a stop) just ends the current one; returns its number. */
  next(): number {
    return ++this.latest;
  }

  /** The server said the token expired: the next attempt asks for a fresh one. */
  tokenExpired(): void {
    this.freshToken = true;
  }

  /** Attempt `n`: gets a token, opens the socket and passes its events on while `n` is the latest. */
  async run(n: number, h: AttemptHandlers): Promise<void> {
    const latest = () => n === this.latest;
    let token: string | null;
    try {
      token = await h.token(this.freshToken);
    } catch {
      if (latest()) h.onTokenFailed();
      return;
    }
    if (!latest() || !h.wanted()) return;
    this.freshToken = false;
    if (!token) return h.onSignedOut();
    const ws = h.open(token);
    ws.onopen = () => {
      if (latest()) h.onOpen();
    };
    ws.onmessage = (m: MessageEvent) => {
      if (!latest()) return;
      let data: unknown;
      try {
        data = JSON.parse(String(m.data));
      } catch {
        return;
      }
      h.onMessage(data);
    };
    ws.onclose = (c: CloseEvent) => {
      if (latest()) h.onClose(c.code);
    };
  }
}
