import { beforeEach, describe, expect, it, vi } from "vitest";
import { tokensFromResponse, useAuth } from "./auth";

describe("session store", () => {
  beforeEach(() => {
    useAuth.getState().clear();
    sessionStorage.clear();
  });

  it("persists tokens and username to sessionStorage, not localStorage", () => {
    useAuth.getState().setTokens({ accessToken: "a1", refreshToken: "r1", expiresAt: 1_000 }, "ann");
    const saved = JSON.parse(sessionStorage.getItem("weft.session") ?? "null");
    expect(saved.state).toEqual({ tokens: { accessToken: "a1", refreshToken: "r1", expiresAt: 1_000 }, username: "ann" });
    expect(localStorage.getItem("weft.session")).toBeNull();
  });

  it("keeps the username when a refresh sets new tokens", () => {
    useAuth.getState().setTokens({ accessToken: "a1", refreshToken: "r1", expiresAt: 1 }, "ann");
    useAuth.getState().setTokens({ accessToken: "a2", refreshToken: "r2", expiresAt: 2 });
    expect(useAuth.getState()).toMatchObject({ username: "ann", tokens: { accessToken: "a2" } });
  });

  it("restores a saved session on reload", async () => {
    sessionStorage.setItem(
      "weft.session",
      JSON.stringify({ state: { tokens: { accessToken: "a9", refreshToken: "r9", expiresAt: 5 }, username: "bob" }, version: 0 }),
    );
    await useAuth.persist.rehydrate();
    expect(useAuth.getState()).toMatchObject({ username: "bob", tokens: { refreshToken: "r9" } });
  });

  it("forgets the session on clear", () => {
    useAuth.getState().setTokens({ accessToken: "a1", refreshToken: "r1", expiresAt: 1 }, "ann");
    useAuth.getState().clear();
    expect(useAuth.getState().tokens).toBeNull();
    expect(JSON.parse(sessionStorage.getItem("weft.session") ?? "{}").state.tokens).toBeNull();
  });

  it("turns expires_in seconds into an absolute expiry", () => {
    vi.spyOn(Date, "now").mockReturnValue(1_000_000);
    expect(tokensFromResponse({ access_token: "a", refresh_token: "r", expires_in: 900 })).toEqual({
      accessToken: "a",
      refreshToken: "r",
      expiresAt: 1_000_000 + 900_000,
    });
    vi.restoreAllMocks();
  });
});
