// The typed API client (openapi-fetch over the generated schema) with the session's bearer
// token, one shared refresh when the token is about to expire or a call answers 401, and
// problem+json errors thrown as `ApiError`.
import createClient, { type Middleware } from "openapi-fetch";
import type { paths } from "./schema";
import { tokensFromResponse, useAuth } from "./auth";
import { ApiError, problemFrom, problemFromBody, type Problem } from "./problem";

/** Refresh this long before expiry so a request never carries a token that dies in flight. */
const REFRESH_MARGIN_MS = 30_000;

let refreshing: Promise<string | null> | null = null;

/**
 * A fresh access token, refreshing once for all concurrent callers; null when logged out.
 * A refresh the gateway refuses (400/401: the refresh token is spent or revoked) ends the
 * session; any other failure (network, 503) is thrown and leaves the session alone, so a
 * blip does not log the user out.
 */
export async function accessToken(force = false): Promise<string | null> {
  const { tokens } = useAuth.getState();
  if (!tokens) return null;
  if (!force && tokens.expiresAt - Date.now() > REFRESH_MARGIN_MS) return tokens.accessToken;
  refreshing ??= (async () => {
    try {
      const res = await fetch("/api/v1/auth/refresh", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ refresh_token: tokens.refreshToken }),
      });
      // The user may have logged out (or in as someone else) while this was in flight:
      // its answer belongs to a session that no longer exists.
      const stillOurs = useAuth.getState().tokens?.refreshToken === tokens.refreshToken;
      if (res.status === 400 || res.status === 401) {
        if (stillOurs) useAuth.getState().clear();
        return null;
      }
      if (!res.ok) throw new ApiError(await problemFrom(res));
      const t = tokensFromResponse(await res.json());
      if (!stillOurs) return useAuth.getState().tokens?.accessToken ?? null;
      useAuth.getState().setTokens(t);
      return t.accessToken;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

/** The bearer token each response was answered for, so a 401 can tell a stale token from a revoked session. */
const sentWith = new WeakMap<Response, string | null>();

const auth: Middleware = {
  async onRequest({ request }) {
    if (request.url.includes("/auth/login") || request.url.includes("/auth/refresh")) return;
    const token = await accessToken();
    if (token) request.headers.set("Authorization", `Bearer ${token}`);
    return request;
  },
  onResponse({ request, response }) {
    sentWith.set(response, request.headers.get("Authorization")?.replace(/^Bearer /, "") ?? null);
    return undefined;
  },
};

// The schema's paths already start with /api/v1, so the base is the origin alone. It is
// absolute because a relative URL is not a valid `Request` outside a browser (tests), and
// `fetch` is looked up per call rather than captured once, so wrappers installed later apply.
export const api = createClient<paths>({
  baseUrl: globalThis.location?.origin ?? "",
  fetch: (input: Request) => globalThis.fetch(input),
});
api.use(auth);

type Result<T> = { data?: T; error?: unknown; response: Response };

/**
 * Whether a 401 is about the bearer token sent (worth one refresh and retry) rather than a
 * credential in the body: a failed login sends no token, and a wrong current password names
 * its `field`.
 */
function tokenRejected(problem: Problem, sent: string | null | undefined): boolean {
  return problem.status === 401 && sent !== null && !problem.field && !!useAuth.getState().tokens;
}

/**
 * A token to retry with after a 401: the current one when another call already refreshed
 * since this request left, otherwise one forced refresh for everyone waiting.
 */
async function tokenAfter401(sent: string | null | undefined): Promise<string | null> {
  const current = useAuth.getState().tokens?.accessToken ?? null;
  if (current && sent !== undefined && current !== sent) return current;
  return accessToken(true);
}

/**
 * Runs one typed call and unwraps it: the data, or an `ApiError` carrying the problem. A 401
 * while logged in (token revoked, or expired while the tab slept) forces one refresh and one
 * retry; if that fails too the session ends and the app shows the login page.
 */
export async function call<T>(fn: () => Promise<Result<T>>): Promise<T> {
  let result = await fn();
  const sent = sentWith.get(result.response);
  if (!result.response.ok && tokenRejected(problemFromBody(result.error, result.response), sent)) {
    if (await tokenAfter401(sent)) result = await fn();
  }
  if (!result.response.ok) throw new ApiError(problemFromBody(result.error, result.response));
  return result.data as T;
}

/** Plain fetch with the session token, for endpoints that are not JSON (exports, imports). */
export async function authedFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const send = async (token: string | null) => {
    const headers = new Headers(init.headers);
    if (token) headers.set("Authorization", `Bearer ${token}`);
    return fetch(path, { ...init, headers });
  };
  const token = await accessToken();
  let res = await send(token);
  if (res.status === 401 && tokenRejected(await problemFrom(res), token)) {
    const again = await tokenAfter401(token);
    if (again) res = await send(again);
  }
  if (!res.ok) throw new ApiError(await problemFrom(res));
  return res;
}
