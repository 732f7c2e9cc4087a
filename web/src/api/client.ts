// The typed API client (openapi-fetch over the generated schema) with the session's bearer
// token, one shared refresh when the token is about to expire or a call answers 401, and
// problem+json errors thrown as `ApiError`.
import createClient, { type Middleware } from "openapi-fetch";
import type { paths } from "./schema";
import { tokensFromResponse, useAuth } from "./auth";
import { ApiError, problemFrom } from "./problem";

/** Refresh this long before expiry so a request never carries a token that dies in flight. */
const REFRESH_MARGIN_MS = 30_000;

let refreshing: Promise<string | null> | null = null;

/** A fresh access token, refreshing once for all concurrent callers; null when logged out. */
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
      if (!res.ok) {
        useAuth.getState().clear();
        return null;
      }
      const t = tokensFromResponse(await res.json());
      useAuth.getState().setTokens(t);
      return t.accessToken;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

const auth: Middleware = {
  async onRequest({ request }) {
    if (request.url.includes("/auth/login") || request.url.includes("/auth/refresh")) return;
    const token = await accessToken();
    if (token) request.headers.set("Authorization", `Bearer ${token}`);
    return request;
  },
};

export const api = createClient<paths>({ baseUrl: "/api/v1" });
api.use(auth);

type Result<T> = { data?: T; error?: unknown; response: Response };

/**
 * Runs one typed call and unwraps it: the data, or an `ApiError` carrying the problem. A 401
 * while logged in (token revoked, or expired while the tab slept) forces one refresh and one
 * retry; if that fails too the session ends and the app shows the login page.
 */
export async function call<T>(fn: () => Promise<Result<T>>): Promise<T> {
  let { data, response } = await fn();
  if (response.status === 401 && useAuth.getState().tokens) {
    if (await accessToken(true)) ({ data, response } = await fn());
  }
  if (!response.ok) throw new ApiError(await problemFrom(response));
  return data as T;
}

/** Plain fetch with the session token, for endpoints that are not JSON (exports). */
export async function authedFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const token = await accessToken();
  const headers = new Headers(init.headers);
  if (token) headers.set("Authorization", `Bearer ${token}`);
  const res = await fetch(path, { ...init, headers });
  if (!res.ok) throw new ApiError(await problemFrom(res));
  return res;
}
