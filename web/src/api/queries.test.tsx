import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { act, renderHook, waitFor } from "@testing-library/react";
import { QueryClientProvider } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { useLogin, useLogout, useMe, useNodeCatalog, useWorkflow } from "./queries";
import { useAuth } from "./auth";
import { ApiError } from "./problem";
import { me, mockApi, problem, signIn } from "@/test/mockApi";
import { makeTestQueryClient } from "@/test/render";

function setup() {
  const client = makeTestQueryClient();
  const wrapper = ({ children }: { children: ReactNode }) => <QueryClientProvider client={client}>{children}</QueryClientProvider>;
  return { client, wrapper };
}

describe("shared query hooks", () => {
  beforeEach(() => {
    useAuth.getState().clear();
    sessionStorage.clear();
  });
  afterEach(() => vi.unstubAllGlobals());

  it("useLogin stores the token pair and username, and drops cached data of the previous user", async () => {
    const m = mockApi({
      "POST /api/v1/auth/login": () => ({ access_token: "a1", refresh_token: "r1", expires_in: 900, token_type: "Bearer" }),
    });
    const { client, wrapper } = setup();
    client.setQueryData(["workflows", {}], { items: ["someone else's"] });
    const { result } = renderHook(() => useLogin(), { wrapper });
    await act(() => result.current.mutateAsync({ username: "ann", password: "pw-123456789012" }));
    expect(m.calls[0].body).toEqual({ username: "ann", password: "pw-123456789012" });
    expect(useAuth.getState()).toMatchObject({ username: "ann", tokens: { accessToken: "a1", refreshToken: "r1" } });
    expect(client.getQueryData(["workflows", {}])).toBeUndefined();
  });

  it("useLogin surfaces mfa_required as an ApiError", async () => {
    mockApi({ "POST /api/v1/auth/login": () => problem(401, "mfa_required", "this account needs a TOTP code") });
    const { wrapper } = setup();
    const { result } = renderHook(() => useLogin(), { wrapper });
    const err = await result.current.mutateAsync({ username: "ann", password: "x" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).problem.code).toBe("mfa_required");
    expect(useAuth.getState().tokens).toBeNull();
  });

  it("useLogout revokes the refresh token and ends the session even when the server fails", async () => {
    signIn("ann");
    const m = mockApi({ "POST /api/v1/auth/logout": () => problem(503, "unavailable", "down") });
    const { wrapper } = setup();
    const { result } = renderHook(() => useLogout(), { wrapper });
    await act(() => result.current.mutateAsync());
    expect(m.requests("POST /api/v1/auth/logout")[0].body).toEqual({ refresh_token: "refresh-ann" });
    expect(useAuth.getState().tokens).toBeNull();
  });

  it("useMe loads the principal with the bearer token", async () => {
    signIn("ann");
    const m = mockApi({ "GET /api/v1/auth/me": () => me("editor", "ann") });
    const { wrapper } = setup();
    const { result } = renderHook(() => useMe(), { wrapper });
    await waitFor(() => expect(result.current.data?.role).toBe("editor"));
    expect(m.calls[0].headers.get("authorization")).toBe("Bearer access-ann");
  });

  it("useNodeCatalog returns the catalog's items", async () => {
    signIn();
    mockApi({
      "GET /api/v1/nodes": () => ({
        items: [{ type: "trigger.manual", category: "trigger", description: "Start by hand", trigger: true, ports: { kind: "fixed", names: ["main"] }, schema: {} }],
      }),
    });
    const { wrapper } = setup();
    const { result } = renderHook(() => useNodeCatalog(), { wrapper });
    await waitFor(() => expect(result.current.data?.[0].type).toBe("trigger.manual"));
  });

  it("useWorkflow waits for an id, then loads that workflow", async () => {
    signIn();
    const m = mockApi({
      "GET /api/v1/workflows/:id": (req) => ({ id: req.params.id, name: "orders", version: 2, created_at: 1, definition: { name: "orders", nodes: [] } }),
    });
    const { wrapper } = setup();
    const { result, rerender } = renderHook(({ id }: { id?: string }) => useWorkflow(id), { wrapper, initialProps: {} });
    expect(result.current.fetchStatus).toBe("idle");
    rerender({ id: "w1" });
    await waitFor(() => expect(result.current.data?.definition.name).toBe("orders"));
    expect(m.calls.map((c) => c.path)).toEqual(["/api/v1/workflows/w1"]);
  });
});
