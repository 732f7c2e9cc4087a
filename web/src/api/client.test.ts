import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { accessToken, api, authedFetch, call } from "./client";
import { useAuth } from "./auth";
import { ApiError } from "./problem";
import { mockApi, problem, signIn } from "@/test/mockApi";

const workflows = { items: [], next_cursor: null };

function tokenPair(n: number) {
  return { access_token: `access-${n}`, refresh_token: `refresh-${n}`, expires_in: 900, token_type: "Bearer" };
}

describe("api client", () => {
  beforeEach(() => {
    useAuth.getState().clear();
    sessionStorage.clear();
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.useRealTimers();
  });

  it("sends the session's bearer token", async () => {
    signIn("ann");
    const m = mockApi({ "GET /api/v1/workflows": () => workflows });
    await call(() => api.GET("/api/v1/workflows"));
    expect(m.calls[0].headers.get("authorization")).toBe("Bearer access-ann");
  });

  it("refreshes once for concurrent calls when the token is near expiry", async () => {
    signIn("ann", 10_000); // inside the 30 s margin
    let n = 0;
    const m = mockApi({
      "POST /api/v1/auth/refresh": async () => {
        await new Promise((r) => setTimeout(r, 10));
        return tokenPair(++n);
      },
      "GET /api/v1/workflows": () => workflows,
      "GET /api/v1/auth/me": () => ({ principal: "user:ann", role: "admin", mfa_enabled: false }),
    });
    await Promise.all([
      call(() => api.GET("/api/v1/workflows")),
      call(() => api.GET("/api/v1/auth/me")),
      call(() => api.GET("/api/v1/workflows")),
    ]);
    const refreshes = m.requests("POST /api/v1/auth/refresh");
    expect(refreshes).toHaveLength(1);
    expect(refreshes[0].body).toEqual({ refresh_token: "refresh-ann" });
    const sent = m.calls.filter((c) => c.path !== "/api/v1/auth/refresh").map((c) => c.headers.get("authorization"));
    expect(sent).toEqual(["Bearer access-1", "Bearer access-1", "Bearer access-1"]);
    // The rotated refresh token is the one kept for next time.
    expect(useAuth.getState().tokens?.refreshToken).toBe("refresh-1");
    expect(useAuth.getState().username).toBe("ann");
  });

  it("does not refresh a token that is far from expiry", async () => {
    signIn("ann");
    const m = mockApi({ "GET /api/v1/workflows": () => workflows });
    await call(() => api.GET("/api/v1/workflows"));
    expect(m.requests("POST /api/v1/auth/refresh")).toHaveLength(0);
  });

  it("answers a 401 with one forced refresh and one retry", async () => {
    signIn("ann");
    const m = mockApi({
      "POST /api/v1/auth/refresh": () => tokenPair(2),
      "GET /api/v1/workflows": (req) =>
        req.headers.get("authorization") === "Bearer access-2"
          ? { items: [{ id: "w1" }] }
          : problem(401, "unauthenticated", "the token has expired"),
    });
    const page = await call(() => api.GET("/api/v1/workflows"));
    expect(page.items).toHaveLength(1);
    expect(m.requests("POST /api/v1/auth/refresh")).toHaveLength(1);
    expect(m.requests("GET /api/v1/workflows")).toHaveLength(2);
  });

  it("shares one forced refresh between calls that get a 401 together", async () => {
    signIn("ann");
    const m = mockApi({
      "POST /api/v1/auth/refresh": async () => {
        await new Promise((r) => setTimeout(r, 10));
        return tokenPair(2);
      },
      "GET /api/v1/workflows": (req) =>
        req.headers.get("authorization") === "Bearer access-2" ? workflows : problem(401, "unauthenticated", "revoked"),
    });
    await Promise.all([call(() => api.GET("/api/v1/workflows")), call(() => api.GET("/api/v1/workflows"))]);
    expect(m.requests("POST /api/v1/auth/refresh")).toHaveLength(1);
  });

  it("retries with the already-refreshed token instead of refreshing again", async () => {
    signIn("ann");
    const m = mockApi({ "GET /api/v1/workflows": () => workflows });
    // This call left with access-ann and got a 401, but another call has refreshed since.
    m.on("GET /api/v1/workflows", (req) => {
      if (req.headers.get("authorization") === "Bearer access-ann") {
        useAuth.getState().setTokens({ accessToken: "access-9", refreshToken: "refresh-9", expiresAt: Date.now() + 900_000 });
        return problem(401, "unauthenticated", "the token has expired");
      }
      return workflows;
    });
    await call(() => api.GET("/api/v1/workflows"));
    expect(m.requests("POST /api/v1/auth/refresh")).toHaveLength(0);
    expect(m.calls.at(-1)?.headers.get("authorization")).toBe("Bearer access-9");
  });

  it("ends the session when the refresh is refused, and throws the 401", async () => {
    signIn("ann");
    const m = mockApi({
      "POST /api/v1/auth/refresh": () => problem(401, "unauthenticated", "the refresh token is not valid"),
      "GET /api/v1/workflows": () => problem(401, "unauthenticated", "revoked"),
    });
    const err = await call(() => api.GET("/api/v1/workflows")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(401);
    expect(useAuth.getState().tokens).toBeNull();
    expect(sessionStorage.getItem("weft.session")).not.toContain("access-ann");
    // No retry without a token.
    expect(m.requests("GET /api/v1/workflows")).toHaveLength(1);
  });

  it("keeps the session when the refresh fails for another reason", async () => {
    signIn("ann", 1_000);
    mockApi({ "POST /api/v1/auth/refresh": () => problem(503, "unavailable", "a dependency is unavailable; try again shortly") });
    await expect(accessToken()).rejects.toBeInstanceOf(ApiError);
    expect(useAuth.getState().tokens?.accessToken).toBe("access-ann");
  });

  it("does not refresh for a 401 about a credential in the body", async () => {
    signIn("ann");
    const m = mockApi({
      "POST /api/v1/auth/password": () =>
        problem(401, "unauthenticated", "the current password is wrong", { field: "current_password" }),
    });
    const err = await call(() =>
      api.POST("/api/v1/auth/password", { body: { current_password: "x", new_password: "a-long-new-password" } }),
    ).catch((e: unknown) => e);
    expect((err as ApiError).problem.field).toBe("current_password");
    expect(m.requests("POST /api/v1/auth/refresh")).toHaveLength(0);
    expect(m.requests("POST /api/v1/auth/password")).toHaveLength(1);
    expect(useAuth.getState().tokens).not.toBeNull();
  });

  it("does not refresh after a failed login, which sends no token", async () => {
    signIn("ann");
    const m = mockApi({
      "POST /api/v1/auth/login": () => problem(401, "unauthenticated", "invalid username or password, or the account is locked"),
    });
    await expect(call(() => api.POST("/api/v1/auth/login", { body: { username: "bob", password: "nope" } }))).rejects.toThrow(
      /invalid username/,
    );
    expect(m.calls[0].headers.get("authorization")).toBeNull();
    expect(m.requests("POST /api/v1/auth/refresh")).toHaveLength(0);
  });

  it("turns problem+json into an ApiError with code, field and problems", async () => {
    signIn("ann");
    const problems = [{ pointer: "/nodes/1/type", message: "unknown node type `http.reqest`", hint: "did you mean http.request?" }];
    mockApi({
      "POST /api/v1/workflows": () =>
        problem(422, "invalid_definition", "1 problem(s) in the definition", { field: "/nodes/1/type", problems }),
    });
    const err = await call(() => api.POST("/api/v1/workflows", { body: { name: "x" } as never })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    const e = err as ApiError;
    expect(e.status).toBe(422);
    expect(e.message).toBe("1 problem(s) in the definition");
    expect(e.problem).toMatchObject({ code: "invalid_definition", field: "/nodes/1/type", problems });
  });

  it("keeps Retry-After on a 429", async () => {
    mockApi({
      "POST /api/v1/auth/login": () => ({
        ...problem(429, "rate_limited", "too many requests; retry in 7 s"),
        headers: { "content-type": "application/problem+json", "retry-after": "7" },
      }),
    });
    const err = (await call(() => api.POST("/api/v1/auth/login", { body: { username: "a", password: "b" } })).catch(
      (e: unknown) => e,
    )) as ApiError;
    expect(err.problem.retry_after).toBe(7);
    expect(err.problem.code).toBe("rate_limited");
  });

  it("gives a problem for an error that is not JSON", async () => {
    signIn("ann");
    vi.stubGlobal("fetch", vi.fn(async () => new Response("upstream down", { status: 502, statusText: "Bad Gateway" })));
    const err = (await call(() => api.GET("/api/v1/workflows")).catch((e: unknown) => e)) as ApiError;
    expect(err.problem).toMatchObject({ status: 502, title: "Bad Gateway" });
  });

  it("authedFetch carries the token, retries a 401 once and throws problems", async () => {
    signIn("ann");
    const m = mockApi({
      "POST /api/v1/auth/refresh": () => tokenPair(3),
      "GET /api/v1/workflows/:id/export": (req) =>
        req.headers.get("authorization") === "Bearer access-3" ? "name: x\n" : problem(401, "unauthenticated", "expired"),
    });
    const res = await authedFetch("/api/v1/workflows/w1/export?format=yaml");
    expect(await res.text()).toBe("name: x\n");
    expect(m.requests("POST /api/v1/auth/refresh")).toHaveLength(1);

    m.on("GET /api/v1/workflows/:id/export", () => problem(404, "not_found", "workflow `w2` not found"));
    await expect(authedFetch("/api/v1/workflows/w2/export")).rejects.toMatchObject({ problem: { code: "not_found" } });
  });
});
