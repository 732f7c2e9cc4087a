import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor } from "@testing-library/react";
import { Route, Routes } from "react-router";
import { LoginPage, loginError } from "./LoginPage";
import { RequireAuth } from "./RequireAuth";
import { renderWithProviders } from "@/test/render";
import { mockApi, problem, signIn } from "@/test/mockApi";
import { useAuth } from "@/api/auth";

const pair = { access_token: "a1", refresh_token: "r1", expires_in: 900, token_type: "Bearer" };

function renderLogin() {
  return renderWithProviders(
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route element={<RequireAuth />}>
        <Route path="/workflows" element={<p>Workflows</p>} />
      </Route>
    </Routes>,
    { route: "/workflows?q=x" },
  );
}

describe("LoginPage", () => {
  beforeEach(() => {
    useAuth.getState().clear();
    sessionStorage.clear();
  });
  afterEach(() => vi.unstubAllGlobals());

  it("sends a signed-out visitor to the login page and back where they were after signing in", async () => {
    const m = mockApi({ "POST /api/v1/auth/login": () => pair });
    const { user, location } = renderLogin();
    expect(location()).toBe("/login");
    await user.type(screen.getByLabelText("Username"), "admin");
    await user.type(screen.getByLabelText("Password"), "admin-pass-123");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByText("Workflows")).toBeInTheDocument();
    expect(location()).toBe("/workflows?q=x");
    expect(m.calls[0].body).toEqual({ username: "admin", password: "admin-pass-123" });
    expect(useAuth.getState().username).toBe("admin");
  });

  it("says the username or password is wrong on a 401", async () => {
    mockApi({ "POST /api/v1/auth/login": () => problem(401, "unauthenticated", "invalid username or password, or the account is locked") });
    const { user } = renderLogin();
    await user.type(screen.getByLabelText("Username"), "admin");
    await user.type(screen.getByLabelText("Password"), "wrong");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Invalid username or password");
    expect(useAuth.getState().tokens).toBeNull();
  });

  it("says when to retry on a 429", async () => {
    mockApi({
      "POST /api/v1/auth/login": () => ({
        ...problem(429, "rate_limited", "too many requests; retry in 12 s"),
        headers: { "content-type": "application/problem+json", "retry-after": "12" },
      }),
    });
    const { user } = renderLogin();
    await user.type(screen.getByLabelText("Username"), "admin");
    await user.type(screen.getByLabelText("Password"), "x");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Too many sign-in attempts. Try again in 12 seconds.");
  });

  it("asks for the one-time code when the account has MFA, then sends it", async () => {
    const m = mockApi({
      "POST /api/v1/auth/login": (req) => {
        const body = req.body as { totp?: string };
        if (!body.totp) return problem(401, "mfa_required", "this account needs a TOTP code");
        if (body.totp !== "123456") return problem(401, "unauthenticated", "the TOTP code is wrong", { field: "totp" });
        return pair;
      },
    });
    const { user, location } = renderLogin();
    expect(screen.queryByLabelText("One-time code")).not.toBeInTheDocument();
    await user.type(screen.getByLabelText("Username"), "admin");
    await user.type(screen.getByLabelText("Password"), "admin-pass-123");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    const code = await screen.findByLabelText("One-time code");
    expect(screen.getByRole("alert")).toHaveTextContent("Enter the code from your authenticator app");

    await user.type(code, "000000");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    await waitFor(() => expect(screen.getByRole("alert")).toHaveTextContent("That code is not right"));

    await user.clear(code);
    await user.type(code, "123 456");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    await waitFor(() => expect(location()).toBe("/workflows?q=x"));
    expect(m.calls.at(-1)?.body).toMatchObject({ totp: "123456" });
  });

  it("leaves the login page at once when already signed in", () => {
    signIn("ann");
    const { location } = renderWithProviders(
      <Routes>
        <Route path="/login" element={<LoginPage />} />
        <Route path="/" element={<p>Home</p>} />
      </Routes>,
      { route: "/login" },
    );
    expect(location()).toBe("/");
  });
});

describe("loginError", () => {
  it("reads the wait from the detail when Retry-After is missing", () => {
    expect(loginError({ title: "Too many requests", status: 429, detail: "too many requests; retry in 1 s" }).message).toBe(
      "Too many sign-in attempts. Try again in 1 second.",
    );
  });
  it("passes other problems through", () => {
    expect(loginError({ title: "Service unavailable", status: 503, detail: "a dependency is unavailable; try again shortly" }).message).toBe(
      "a dependency is unavailable; try again shortly",
    );
  });
});
