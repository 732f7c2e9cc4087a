import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import { AdminPage } from "./AdminPage";
import { renderWithProviders } from "@/test/render";
import { me, mockApi, problem, signIn, type ApiMock } from "@/test/mockApi";
import { useAuth } from "@/api/auth";
import type { Role } from "@/api/types";

const NOW = Date.now();
const ADMIN_ID = "0190f0a0-0000-7000-8000-000000000001";

const users = [
  { id: ADMIN_ID, username: "admin", role: "admin", disabled: false, mfa_enabled: false, locked_until: null, created_at: NOW - 9e7, updated_at: NOW - 9e7 },
  { id: "0190f0a0-0000-7000-8000-000000000002", username: "ann", role: "editor", disabled: false, mfa_enabled: true, locked_until: null, created_at: NOW - 5e7, updated_at: NOW - 5e7 },
];
const credential = {
  id: "0190f0a0-0000-7000-8000-0000000000c1",
  name: "stripe-api",
  kind: "http.bearer",
  created_by: ADMIN_ID,
  created_at: NOW - 86_400_000,
  updated_at: NOW - 3_600_000,
};
const SECRET = "weft_3kq9b1a7c0ffee1234567890abcdef";

function setup(route: string, role: Role = "admin") {
  signIn(role);
  const m: ApiMock = mockApi({
    "GET /api/v1/auth/me": () => ({ ...me(role), user_id: ADMIN_ID }),
    "GET /api/v1/users": () => ({ items: users }),
    "GET /api/v1/api-keys": () => ({ items: [] }),
    "GET /api/v1/credentials": () => ({ items: [credential] }),
    "GET /api/v1/audit": () => ({ items: [], next_cursor: null }),
  });
  return { m, ...renderWithProviders(<AdminPage />, { route, path: "/admin/*" }) };
}

describe("AdminPage", () => {
  beforeEach(() => useAuth.getState().clear());
  afterEach(() => vi.unstubAllGlobals());

  it("opens users for an admin and API keys for others, hiding tabs a role cannot use", async () => {
    const admin = setup("/admin");
    await waitFor(() => expect(admin.location()).toBe("/admin/users"));
    expect(screen.getByRole("link", { name: "Audit log" })).toBeInTheDocument();
    admin.unmount();

    const viewer = setup("/admin", "viewer");
    await waitFor(() => expect(viewer.location()).toBe("/admin/api-keys"));
    const nav = screen.getByRole("navigation", { name: "Admin sections" });
    expect(within(nav).getAllByRole("link").map((l) => l.textContent)).toEqual(["API keys", "Account"]);
    expect(within(nav).getByRole("link", { name: "API keys" })).toHaveAttribute("aria-current", "page");
  });

  it("tells a non-admin who opens an admin URL which role it needs", async () => {
    const { m } = setup("/admin/users", "editor");
    expect(await screen.findByRole("alert")).toHaveTextContent("This section needs the admin role.");
    expect(m.requests("GET /api/v1/users")).toHaveLength(0);
  });

  describe("users", () => {
    it("changes a role inline", async () => {
      const { m, user } = setup("/admin/users");
      m.on("PATCH /api/v1/users/:id", (req) => ({ ...users[1], ...(req.body as object) }));
      await user.selectOptions(await screen.findByLabelText("Role of ann"), "operator");
      await waitFor(() => expect(m.requests(`PATCH /api/v1/users/${users[1].id}`)).toHaveLength(1));
      expect(m.requests(`PATCH /api/v1/users/${users[1].id}`)[0].body).toEqual({ role: "operator" });
      expect(await screen.findByText("ann is now operator")).toBeInTheDocument();
    });

    it("shows the server's refusal to demote the last admin and keeps the stored role", async () => {
      const { m, user } = setup("/admin/users");
      m.on("PATCH /api/v1/users/:id", () => problem(409, "conflict", "this is the last active admin"));
      const select = await screen.findByLabelText("Role of admin");
      await user.selectOptions(select, "viewer");
      expect(await screen.findByText("admin: this is the last active admin")).toBeInTheDocument();
      expect(select).toHaveValue("admin");
    });

    it("disables a user with the switch", async () => {
      const { m, user } = setup("/admin/users");
      m.on("PATCH /api/v1/users/:id", (req) => ({ ...users[1], ...(req.body as object) }));
      const sw = await screen.findByRole("switch", { name: "Disable ann" });
      expect(sw).toHaveAttribute("aria-checked", "false");
      await user.click(sw);
      await waitFor(() => expect(m.requests(`PATCH /api/v1/users/${users[1].id}`)[0]?.body).toEqual({ disabled: true }));
    });

    it("creates a user and puts a taken username under its field", async () => {
      const { m, user } = setup("/admin/users");
      m.on("POST /api/v1/users", () => problem(409, "conflict", "the username is taken", { field: "username" }));
      await user.click(await screen.findByRole("button", { name: "Add user" }));
      const dialog = await screen.findByRole("dialog", { name: "Add user" });
      await user.type(within(dialog).getByLabelText("Username"), "ann");
      await user.type(within(dialog).getByLabelText("Password"), "short");
      await user.click(within(dialog).getByRole("button", { name: "Add user" }));
      expect(within(dialog).getByText("At least 12 characters")).toBeInTheDocument();
      expect(m.requests("POST /api/v1/users")).toHaveLength(0);

      await user.type(within(dialog).getByLabelText("Password"), "-but-long-now");
      await user.selectOptions(within(dialog).getByLabelText("Role"), "operator");
      await user.click(within(dialog).getByRole("button", { name: "Add user" }));
      expect(await within(dialog).findByText("the username is taken")).toBeInTheDocument();
      expect(within(dialog).getByLabelText("Username")).toHaveAttribute("aria-invalid", "true");
      expect(m.requests("POST /api/v1/users")[0].body).toEqual({ username: "ann", password: "short-but-long-now", role: "operator" });
    });

    it("deletes a user after confirming", async () => {
      const { m, user } = setup("/admin/users");
      m.on("DELETE /api/v1/users/:id", () => ({ status: 204 }));
      await user.click(await screen.findByRole("button", { name: "Actions for ann" }));
      await user.click(await screen.findByRole("menuitem", { name: "Delete…" }));
      const dialog = await screen.findByRole("dialog", { name: "Delete ann?" });
      await user.click(within(dialog).getByRole("button", { name: "Delete" }));
      await waitFor(() => expect(m.requests(`DELETE /api/v1/users/${users[1].id}`)).toHaveLength(1));
    });
  });

  describe("API keys", () => {
    it("shows a new key's secret once, with a copy button and a warning, and never again", async () => {
      const { m, user } = setup("/admin/api-keys", "editor");
      const created = {
        id: "0190f0a0-0000-7000-8000-0000000000k1",
        name: "ci-deploy",
        prefix: "weft_3kq9b1",
        role: "operator",
        created_by: ADMIN_ID,
        created_at: NOW,
        expires_at: NOW + 90 * 86_400_000,
        last_used_at: null,
        revoked_at: null,
      };
      let listed: unknown[] = [];
      m.on("POST /api/v1/api-keys", () => {
        listed = [created];
        return { status: 201, body: { ...created, secret: SECRET } };
      });
      m.on("GET /api/v1/api-keys", () => ({ items: listed }));
      const writeText = vi.fn(async () => {});
      Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });

      expect(await screen.findByText("No API keys yet.")).toBeInTheDocument();
      await user.click(screen.getByRole("button", { name: "Create API key" }));
      const form = await screen.findByRole("dialog", { name: "Create API key" });
      // An editor cannot make an admin key.
      expect(within(within(form).getByLabelText("Role")).queryByRole("option", { name: "admin" })).not.toBeInTheDocument();
      await user.type(within(form).getByLabelText("Name"), "ci-deploy");
      await user.selectOptions(within(form).getByLabelText("Role"), "operator");
      await user.click(within(form).getByRole("button", { name: "Create key" }));

      const shown = await screen.findByRole("dialog", { name: "Copy your API key" });
      expect(within(shown).getByLabelText("API key")).toHaveValue(SECRET);
      expect(shown).toHaveTextContent("it cannot be shown again");
      await user.click(within(shown).getByRole("button", { name: "Copy API key" }));
      expect(writeText).toHaveBeenCalledWith(SECRET);
      expect(within(shown).getByRole("button", { name: "Copy API key" })).toHaveTextContent("Copied");

      const body = m.requests("POST /api/v1/api-keys")[0].body as { name: string; role: string; expires_at: number };
      expect(body).toMatchObject({ name: "ci-deploy", role: "operator" });
      expect(body.expires_at).toBeGreaterThan(NOW + 89 * 86_400_000);

      await user.click(within(shown).getByRole("button", { name: "Done" }));
      await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());
      // The list shows the prefix only; the secret is gone from the page.
      expect(await screen.findByText("weft_3kq9b1…")).toBeInTheDocument();
      expect(document.body.innerHTML).not.toContain(SECRET);
      await user.click(screen.getByRole("button", { name: "Create API key" }));
      expect(await screen.findByRole("dialog", { name: "Create API key" })).not.toHaveTextContent(SECRET);
    });

    it("revokes a key after confirming", async () => {
      const { m, user } = setup("/admin/api-keys");
      m.on("GET /api/v1/api-keys", () => ({
        items: [{ id: "k1", name: "old", prefix: "weft_aaaaaa", role: "viewer", created_by: ADMIN_ID, created_at: NOW - 1e6 }],
      }));
      m.on("DELETE /api/v1/api-keys/:id", () => ({ status: 204 }));
      await user.click(await screen.findByRole("button", { name: "Revoke old" }));
      await user.click(within(await screen.findByRole("dialog")).getByRole("button", { name: "Revoke" }));
      await waitFor(() => expect(m.requests("DELETE /api/v1/api-keys/k1")).toHaveLength(1));
    });
  });

  describe("credentials", () => {
    it("lists name, kind and times, never values", async () => {
      setup("/admin/credentials", "editor");
      expect(await screen.findByText("stripe-api")).toBeInTheDocument();
      expect(screen.getByText("http.bearer")).toBeInTheDocument();
      expect(screen.getByText("1 hour ago")).toBeInTheDocument();
    });

    it("edits with empty password inputs and keeps the stored value unless a new one is typed", async () => {
      const { m, user } = setup("/admin/credentials", "editor");
      m.on("PUT /api/v1/credentials/:id", () => credential);
      await user.click(await screen.findByRole("button", { name: "Edit stripe-api" }));
      const dialog = await screen.findByRole("dialog", { name: "Edit stripe-api" });
      expect(within(dialog).getByLabelText("Name")).toHaveValue("stripe-api");
      expect(within(dialog).getByLabelText("Kind")).toHaveValue("http.bearer");
      const secret = within(dialog).getByLabelText("Secret value");
      expect(secret).toHaveAttribute("type", "password");
      expect(secret).toHaveValue("");

      await user.click(within(dialog).getByRole("radio", { name: "Named values" }));
      const value = within(dialog).getByLabelText("Value 1");
      expect(value).toHaveAttribute("type", "password");
      expect(value).toHaveValue("");

      // Rename only: no value goes to the server.
      await user.clear(within(dialog).getByLabelText("Name"));
      await user.type(within(dialog).getByLabelText("Name"), "stripe");
      await user.click(within(dialog).getByRole("button", { name: "Save" }));
      await waitFor(() => expect(m.requests(`PUT /api/v1/credentials/${credential.id}`)).toHaveLength(1));
      expect(m.requests(`PUT /api/v1/credentials/${credential.id}`)[0].body).toEqual({ name: "stripe" });

      // Reopening starts empty again.
      await user.click(await screen.findByRole("button", { name: "Edit stripe-api" }));
      const again = await screen.findByRole("dialog", { name: "Edit stripe-api" });
      expect(within(again).getByLabelText("Secret value")).toHaveValue("");
      await user.type(within(again).getByLabelText("Secret value"), "sk_live_new");
      await user.click(within(again).getByRole("button", { name: "Save" }));
      await waitFor(() => expect(m.requests(`PUT /api/v1/credentials/${credential.id}`)).toHaveLength(2));
      expect(m.requests(`PUT /api/v1/credentials/${credential.id}`)[1].body).toEqual({ value: "sk_live_new" });
    });

    it("creates a credential with named values and requires a value", async () => {
      const { m, user } = setup("/admin/credentials", "editor");
      m.on("POST /api/v1/credentials", () => ({ status: 201, body: { ...credential, id: "c2", name: "db" } }));
      await user.click(await screen.findByRole("button", { name: "Add credential" }));
      const dialog = await screen.findByRole("dialog", { name: "Add credential" });
      await user.type(within(dialog).getByLabelText("Name"), "db");
      await user.type(within(dialog).getByLabelText("Kind"), "postgres");
      await user.click(within(dialog).getByRole("button", { name: "Add credential" }));
      expect(within(dialog).getByText("A value is required")).toBeInTheDocument();

      await user.click(within(dialog).getByRole("radio", { name: "Named values" }));
      await user.type(within(dialog).getByLabelText("Name of value 1"), "username");
      await user.type(within(dialog).getByLabelText("Value 1"), "app");
      await user.click(within(dialog).getByRole("button", { name: "Add value" }));
      await user.type(within(dialog).getByLabelText("Name of value 2"), "password");
      await user.type(within(dialog).getByLabelText("Value 2"), "s3cret");
      await user.click(within(dialog).getByRole("button", { name: "Add credential" }));
      await waitFor(() => expect(m.requests("POST /api/v1/credentials")).toHaveLength(1));
      expect(m.requests("POST /api/v1/credentials")[0].body).toEqual({
        name: "db",
        kind: "postgres",
        value: { username: "app", password: "s3cret" },
      });
    });
  });

  describe("audit log", () => {
    it("filters through the URL and loads more with the cursor", async () => {
      const entry = (id: number) => ({
        id,
        at: NOW - id * 1000,
        principal: "user:admin",
        action: "POST /api/v1/workflows",
        resource: "/api/v1/workflows",
        status: 201,
        ip: "127.0.0.1",
        request_id: null,
        detail: {},
      });
      const { m, user, location } = setup("/admin/audit");
      m.on("GET /api/v1/audit", (req) =>
        req.query.get("cursor") === "7" ? { items: [entry(7)], next_cursor: null } : { items: [entry(9), entry(8)], next_cursor: 7 },
      );
      await user.type(await screen.findByLabelText("Principal"), "user:admin");
      await user.type(screen.getByLabelText("From"), "2026-11-01T00:00");
      await user.click(screen.getByRole("button", { name: "Apply filters" }));
      await waitFor(() => expect(location()).toBe("/admin/audit?principal=user%3Aadmin&since=2026-11-01T00%3A00"));
      await waitFor(() => expect(screen.getAllByText("POST /api/v1/workflows")).toHaveLength(2));
      const q = m.requests("GET /api/v1/audit").at(-1)!.query;
      expect(q.get("principal")).toBe("user:admin");
      expect(Number(q.get("since"))).toBe(new Date("2026-11-01T00:00").getTime());

      await user.click(screen.getByRole("button", { name: "Load more" }));
      await waitFor(() => expect(screen.getAllByText("POST /api/v1/workflows")).toHaveLength(3));
      expect(m.requests("GET /api/v1/audit").at(-1)!.query.get("principal")).toBe("user:admin");
    });
  });

  describe("account", () => {
    it("puts a wrong current password under its field", async () => {
      const { m, user } = setup("/admin/account", "viewer");
      m.on("POST /api/v1/auth/password", () => problem(401, "unauthenticated", "the current password is wrong", { field: "current_password" }));
      await user.type(await screen.findByLabelText("Current password"), "nope");
      await user.type(screen.getByLabelText("New password"), "a-new-password-1");
      await user.type(screen.getByLabelText("Repeat new password"), "a-new-password-1");
      await user.click(screen.getByRole("button", { name: "Change password" }));
      expect(await screen.findByText("the current password is wrong")).toBeInTheDocument();
      expect(screen.getByLabelText("Current password")).toHaveAttribute("aria-invalid", "true");
      // A wrong password is not an expired session: no refresh, still signed in.
      expect(m.requests("POST /api/v1/auth/refresh")).toHaveLength(0);
      expect(useAuth.getState().tokens).not.toBeNull();
    });

    it("changes the password and signs this tab in again", async () => {
      const { m, user } = setup("/admin/account", "viewer");
      m.on("POST /api/v1/auth/password", () => ({ status: 204 }));
      m.on("POST /api/v1/auth/login", () => ({ access_token: "a2", refresh_token: "r2", expires_in: 900, token_type: "Bearer" }));
      await user.type(await screen.findByLabelText("Current password"), "old-password-123");
      await user.type(screen.getByLabelText("New password"), "a-new-password-1");
      await user.type(screen.getByLabelText("Repeat new password"), "a-new-password-2");
      await user.click(screen.getByRole("button", { name: "Change password" }));
      expect(screen.getByText("The passwords do not match")).toBeInTheDocument();
      await user.clear(screen.getByLabelText("Repeat new password"));
      await user.type(screen.getByLabelText("Repeat new password"), "a-new-password-1");
      await user.click(screen.getByRole("button", { name: "Change password" }));
      expect(await screen.findByText("Password changed. Your other sessions have been signed out.")).toBeInTheDocument();
      expect(m.requests("POST /api/v1/auth/login")[0].body).toEqual({ username: "viewer", password: "a-new-password-1" });
      expect(useAuth.getState().tokens?.refreshToken).toBe("r2");
    });

    it("enrols in MFA with the secret, the setup token and a code", async () => {
      const { m, user } = setup("/admin/account", "viewer");
      m.on("POST /api/v1/auth/mfa/setup", () => ({
        secret: "JBSWY3DPEHPK3PXP",
        otpauth_url: "otpauth://totp/Weft:viewer?secret=JBSWY3DPEHPK3PXP&issuer=Weft",
        setup_token: "sealed-token",
      }));
      m.on("POST /api/v1/auth/mfa/enable", (req) =>
        (req.body as { code: string }).code === "123456" ? { status: 204 } : problem(400, "bad_request", "the code does not match", { field: "code" }),
      );
      await user.click(await screen.findByRole("button", { name: "Set up two-factor authentication" }));
      expect(await screen.findByTestId("mfa-secret")).toHaveTextContent("JBSWY3DPEHPK3PXP");
      expect(screen.getByRole("link", { name: /otpauth:\/\/totp/ })).toHaveAttribute("href", expect.stringContaining("secret=JBSWY3DPEHPK3PXP"));
      await user.type(screen.getByLabelText("Code"), "000000");
      await user.click(screen.getByRole("button", { name: "Turn on" }));
      expect(await screen.findByText("the code does not match")).toBeInTheDocument();
      await user.clear(screen.getByLabelText("Code"));
      await user.type(screen.getByLabelText("Code"), "123 456");
      await user.click(screen.getByRole("button", { name: "Turn on" }));
      expect(await screen.findByText("Two-factor authentication is on")).toBeInTheDocument();
      expect(m.requests("POST /api/v1/auth/mfa/enable").at(-1)!.body).toEqual({ setup_token: "sealed-token", code: "123456" });
    });
  });
});
