// A fake gateway behind `fetch` for unit tests: routes by method and path, answers with JSON
// or problem+json as the real one does, and records every request (with its parsed body and
// Authorization header) for assertions.
import { vi } from "vitest";
import { useAuth } from "@/api/auth";

export interface MockRequest {
  method: string;
  /** Path without the origin, e.g. `/api/v1/workflows`. */
  path: string;
  query: URLSearchParams;
  headers: Headers;
  /** The body: parsed JSON when it is JSON, else the raw text. */
  body: unknown;
  params: Record<string, string>;
}

export interface MockReply {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

type Handler = (req: MockRequest) => MockReply | Promise<MockReply> | unknown;

interface Route {
  method: string;
  pattern: RegExp;
  names: string[];
  handler: Handler;
}

/** A problem document as the gateway sends it. */
export function problem(status: number, code: string, detail: string, extra: Record<string, unknown> = {}): MockReply {
  const titles: Record<number, string> = {
    400: "Bad request",
    401: "Unauthenticated",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    422: "Invalid workflow definition",
    429: "Too many requests",
  };
  return {
    status,
    body: { type: "about:blank", title: titles[status] ?? "Error", status, detail, code, ...extra },
    headers: { "content-type": "application/problem+json" },
  };
}

function isReply(v: unknown): v is MockReply {
  return !!v && typeof v === "object" && ("status" in v || "body" in v) && Object.keys(v).every((k) => ["status", "body", "headers"].includes(k));
}

/**
 * Installs the fake. Routes are `"GET /api/v1/workflows/:id"`; a handler returns a
 * `MockReply`, or any other value to answer 200 with it as JSON. Unrouted calls answer 404
 * and are recorded in `unhandled`, so a test can assert the UI asked for nothing unexpected.
 */
export function mockApi(routes: Record<string, Handler> = {}) {
  const table: Route[] = [];
  const calls: MockRequest[] = [];
  const unhandled: string[] = [];

  const on = (spec: string, handler: Handler) => {
    const [method, path] = spec.split(" ");
    const names: string[] = [];
    const pattern = new RegExp(
      "^" + path.replace(/:([a-z_]+)/gi, (_, n: string) => (names.push(n), "([^/]+)")) + "$",
    );
    // Later registrations win, so a test can override a default route.
    table.unshift({ method, pattern, names, handler });
  };
  for (const [spec, h] of Object.entries(routes)) on(spec, h);

  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(new URL(String(input), "http://localhost:3000"), init);
    const url = new URL(request.url);
    const text = request.body ? await request.text() : "";
    let body: unknown = text || undefined;
    if (text && (request.headers.get("content-type") ?? "").includes("json")) {
      try {
        body = JSON.parse(text);
      } catch {
        /* keep the raw text */
      }
    }
    const req: MockRequest = { method: request.method, path: url.pathname, query: url.searchParams, headers: request.headers, body, params: {} };
    calls.push(req);
    const route = table.find((r) => r.method === req.method && r.pattern.test(req.path));
    if (!route) {
      unhandled.push(`${req.method} ${req.path}`);
      const p = problem(404, "not_found", `no mock for ${req.method} ${req.path}`);
      return new Response(JSON.stringify(p.body), { status: 404, headers: p.headers });
    }
    const m = route.pattern.exec(req.path)!;
    route.names.forEach((n, i) => (req.params[n] = decodeURIComponent(m[i + 1])));
    const out = await route.handler(req);
    const reply: MockReply = isReply(out) ? out : { body: out };
    const status = reply.status ?? 200;
    const noBody = status === 204 || reply.body === undefined;
    const isText = typeof reply.body === "string";
    return new Response(noBody ? null : isText ? (reply.body as string) : JSON.stringify(reply.body), {
      status,
      headers: { "content-type": isText ? "text/plain" : "application/json", ...reply.headers },
    });
  });
  vi.stubGlobal("fetch", fetchMock);

  return {
    on,
    fetch: fetchMock,
    calls,
    unhandled,
    /** Requests to one route, e.g. `requests("POST /api/v1/workflows")`. */
    requests(spec: string) {
      const [method, path] = spec.split(" ");
      return calls.filter((c) => c.method === method && c.path === path);
    },
  };
}

export type ApiMock = ReturnType<typeof mockApi>;

/** Starts a session as if the user had logged in a moment ago. */
export function signIn(username = "admin", expiresInMs = 15 * 60_000) {
  useAuth.getState().setTokens(
    { accessToken: `access-${username}`, refreshToken: `refresh-${username}`, expiresAt: Date.now() + expiresInMs },
    username,
  );
}

/** The `/auth/me` answer for a user with this role. */
export function me(role: "viewer" | "operator" | "editor" | "admin", username: string = role) {
  return {
    principal: `user:${username}`,
    role,
    user_id: "0190f0a0-0000-7000-8000-000000000001",
    username,
    mfa_enabled: false,
    expires_at: Math.floor(Date.now() / 1000) + 900,
  };
}
