import { describe, expect, it, vi } from "vitest";
import { useState } from "react";
import { cleanup, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { specs } from "@/features/canvas/testFixtures";
import { SchemaForm } from "./SchemaForm";
import { SchemaFormContext, type SchemaFormContextValue } from "./context";
import { fieldMessages } from "../pointers";

const spec = (type: string) => specs.find((s) => s.type === type)!;

function setup(type: string, initial: Record<string, unknown> = {}, ctx: Partial<SchemaFormContextValue> = {}) {
  const changes: Record<string, unknown>[] = [];
  function Harness() {
    const [value, setValue] = useState(initial);
    return (
      <SchemaFormContext.Provider value={{ idPrefix: "t", errors: () => [], nodeIds: ["start", "get_order", "each-item"], ...ctx }}>
        <SchemaForm
          schema={spec(type).schema}
          value={value}
          path="config"
          exclude={type.startsWith("flow.") ? ["body"] : undefined}
          onChange={(next) => {
            changes.push(next);
            setValue(next);
          }}
        />
      </SchemaFormContext.Provider>
    );
  }
  const user = userEvent.setup();
  render(<Harness />);
  return { user, changes, last: () => changes[changes.length - 1] };
}

describe("SchemaForm with the real node schemas", () => {
  it.each(specs.map((s) => s.type))("renders %s with a label for every parameter", (type) => {
    setup(type);
    const props = Object.entries(spec(type).schema.properties ?? {}).filter(([k]) => !(type.startsWith("flow.") && k === "body"));
    for (const [key, p] of props) {
      const label = p.title ?? key;
      // Either a labelled control or a labelled group.
      expect(screen.queryAllByLabelText(new RegExp(`^${label.replace(/[()]/g, "\\$&")}`)).length + screen.queryAllByRole("group", { name: new RegExp(label.replace(/[()]/g, "\\$&")) }).length).toBeGreaterThan(0);
    }
    if (!props.length) expect(screen.getByText("This node has no parameters.")).toBeInTheDocument();
  });

  it("marks required fields and wires help text with aria-describedby", () => {
    setup("http.request");
    const url = screen.getByLabelText(/^URL/);
    expect(url).toHaveAttribute("aria-required", "true");
    expect(screen.getByText("URL").parentElement).toHaveTextContent("(required)");
    expect(url.getAttribute("aria-describedby")).toContain("desc");
    expect(document.getElementById(url.getAttribute("aria-describedby")!.split(" ")[0])).toHaveTextContent(/http or https URL/);
    // Defaults and examples become placeholders.
    expect(url).toHaveAttribute("placeholder", "e.g. https://api.example.com/orders/{{ .input.id }}");
    expect(screen.getByLabelText(/^Timeout/)).not.toHaveAttribute("placeholder");
  });

  it("edits text, enum and removes a field cleared back to nothing", async () => {
    const { user, last } = setup("http.request", { url: "https://a" });
    await user.selectOptions(screen.getByLabelText(/^Method/), "POST");
    expect(last()).toEqual({ url: "https://a", method: "POST" });
    await user.selectOptions(screen.getByLabelText(/^Method/), "");
    expect(last()).toEqual({ url: "https://a" });
    await user.clear(screen.getByLabelText(/^URL/));
    expect(last()).toEqual({});
  });

  it("parses numbers, refuses bad ones without applying them, and respects minimum", async () => {
    const { user, changes, last } = setup("flow.signal", { name: "approve" });
    const timeout = screen.getByLabelText(/^Timeout/);
    await user.type(timeout, "12");
    expect(last()).toEqual({ name: "approve", timeout_ms: 12 });
    const before = changes.length;
    await user.type(timeout, "x");
    expect(changes.length).toBe(before);
    expect(timeout).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByText("Enter a number.")).toBeInTheDocument();
    await user.clear(timeout);
    await user.type(timeout, "0");
    expect(screen.getByText("Must be at least 1.")).toBeInTheDocument();
    expect(last()).toEqual({ name: "approve" });
  });

  it("accepts a {{ }} template in a number field whose help allows it", async () => {
    const { user, last } = setup("http.respond");
    await user.type(screen.getByLabelText(/^Status/), "{{{{ .prev.code }}");
    expect(last()).toEqual({ status: "{{ .prev.code }}" });
  });

  it("toggles booleans, showing the default when unset", async () => {
    const { user, last } = setup("data.set", { fields: {} });
    const keep = screen.getByRole("switch", { name: /Keep input/ });
    expect(keep).toHaveAttribute("aria-checked", "true");
    await user.click(keep);
    expect(last()).toEqual({ fields: {}, keep_input: false });
  });

  it("edits a string map as key-value rows", async () => {
    const { user, last } = setup("http.request", { url: "u" });
    await user.click(screen.getByRole("button", { name: "Add header" }));
    await user.type(screen.getByLabelText("Headers: key 1"), "X-Key");
    await user.type(screen.getByLabelText("Headers: value of X-Key"), "42");
    expect(last()).toEqual({ url: "u", headers: { "X-Key": "42" } });
    await user.click(screen.getByRole("button", { name: "Remove X-Key" }));
    expect(last()).toEqual({ url: "u" });
  });

  it("types query values: numbers and booleans as such", async () => {
    const { user, last } = setup("http.request", { url: "u" });
    await user.click(screen.getByRole("button", { name: "Add query parameter" }));
    await user.type(screen.getByLabelText("Query parameters: key 1"), "page");
    await user.type(screen.getByLabelText("Query parameters: value of page"), "2");
    expect(last()).toEqual({ url: "u", query: { page: 2 } });
  });

  it("refuses invalid JSON in a key-value JSON value and keeps the last good object", async () => {
    const { user, changes, last } = setup("data.set", { fields: { a: 1 } });
    const value = screen.getByLabelText("Fields: value of a");
    expect(value).toHaveValue("1");
    await user.clear(value);
    const before = changes.length;
    await user.type(value, '{{"b": ');
    expect(changes.length).toBe(before);
    expect(screen.getByText(/Not valid JSON/)).toBeInTheDocument();
    expect(value).toHaveAttribute("aria-invalid", "true");
    await user.type(value, "true}");
    expect(last()).toEqual({ fields: { a: { b: true } } });
    expect(screen.queryByText(/Not valid JSON/)).toBeNull();
  });

  it("takes templates and plain words as strings in free-form values", async () => {
    const { user, last } = setup("data.set", { fields: {} });
    await user.click(screen.getByRole("button", { name: "Add field" }));
    await user.type(screen.getByLabelText("Fields: key 1"), "total");
    await user.type(screen.getByLabelText("Fields: value of total"), "{{{{ .prev.a }}");
    expect(last()).toEqual({ fields: { total: "{{ .prev.a }}" } });
  });

  it("edits switch cases as repeatable rows: add, rename, reorder, remove", async () => {
    const { user, last } = setup("flow.switch", { cases: [{ name: "big", condition: "{{ .prev.total > 100 }}" }] });
    await user.click(screen.getByRole("button", { name: "Add case" }));
    expect(last()).toEqual({ cases: [{ name: "big", condition: "{{ .prev.total > 100 }}" }, { name: "case_2", condition: "" }] });
    const second = screen.getByRole("region", { name: "Case 2" });
    await user.clear(within(second).getByLabelText(/^Port name/));
    await user.type(within(second).getByLabelText(/^Port name/), "small");
    await user.click(screen.getByRole("button", { name: "Move case 2 up" }));
    expect((last().cases as { name: string }[]).map((c) => c.name)).toEqual(["small", "big"]);
    await user.click(screen.getByRole("button", { name: "Remove case 1" }));
    expect((last().cases as { name: string }[]).map((c) => c.name)).toEqual(["big"]);
  });

  it("says which of several fields is needed when the schema requires one of them", () => {
    setup("flow.wait");
    expect(screen.getByText("Set exactly one of: Duration (ms), Until.")).toBeInTheDocument();
  });

  it("shows the validator's messages under the field at fault, with aria-invalid", () => {
    const byField = { "config/url": ["relative URL without a base"], "config/headers/X-A": ["bad header"] };
    setup("http.request", { url: "x", headers: { "X-A": "1" } }, { errors: (p, nested) => fieldMessages(byField, p, nested) });
    const url = screen.getByLabelText(/^URL/);
    expect(url).toHaveAttribute("aria-invalid", "true");
    const errId = url.getAttribute("aria-describedby")!.split(" ").find((x) => x.endsWith("-err"))!;
    expect(document.getElementById(errId)).toHaveTextContent("relative URL without a base");
    expect(screen.getByRole("group", { name: /Headers/ })).toHaveTextContent("bad header");
  });
});

describe("expression fields", () => {
  it("completes node ids after .nodes. and inserts the chosen one", async () => {
    const { user, last } = setup("flow.if");
    const cond = screen.getByLabelText(/^Condition/);
    await user.type(cond, "{{{{ .nodes.ge");
    const list = screen.getByRole("listbox", { name: "Node ids" });
    expect(within(list).getAllByRole("option").map((o) => o.textContent)).toEqual(["get_order"]);
    await user.keyboard("{Enter}");
    expect(last()).toEqual({ condition: "{{ .nodes.get_order" });
    await user.type(cond, ' }}');
    expect(screen.queryByRole("listbox")).toBeNull();
  });

  it("quotes ids jq cannot read bare", async () => {
    const { user, last } = setup("flow.if");
    await user.type(screen.getByLabelText(/^Condition/), ".nodes.each");
    await user.keyboard("{Enter}");
    expect(last()).toEqual({ condition: '.nodes["each-item"]' });
  });

  it("inserts jq hints at the caret", async () => {
    const { user, last } = setup("data.transform");
    await user.click(screen.getByRole("button", { name: "jq hints" }));
    await user.click(screen.getByRole("button", { name: /^\.prev/ }));
    expect(last()).toEqual({ filter: ".prev" });
  });

  it("tests an expression and shows the result or the jq error", async () => {
    const testExpression = vi
      .fn()
      .mockResolvedValueOnce({ ok: true, result: { a: [1, 2] }, note: "data from the last run" })
      .mockResolvedValueOnce({ ok: false, error: "invalid jq expression: unexpected end" });
    const { user } = setup("data.transform", { filter: ".prev.a" }, { testExpression });
    await user.click(screen.getByRole("button", { name: "Test expression" }));
    expect(testExpression).toHaveBeenCalledWith(".prev.a");
    expect(await screen.findByTestId("expression-result")).toHaveTextContent('"a": [');
    await user.click(screen.getByRole("button", { name: "Test expression" }));
    expect(await screen.findByTestId("expression-error")).toHaveTextContent("unexpected end");
  });

  it("keeps JSON values typed into free-form fields as values", async () => {
    const { user, last } = setup("http.request", { url: "u" });
    await user.type(screen.getByLabelText(/^Body/), '{{"id": 1}');
    expect(last()).toEqual({ url: "u", body: { id: 1 } });
  });
});

describe("credential fields", () => {
  const credentials = [
    { id: "0190a1b2-0000-7000-8000-000000000001", name: "orders-db", kind: "postgres", version: 3 },
    { id: "0190a1b2-0000-7000-8000-000000000002", name: "github", kind: "http.bearer", version: 1 },
  ];

  it("offers the stored credentials and says which one the text names", async () => {
    const { user, last } = setup("db.postgres", {}, { credentials });
    const input = screen.getByLabelText(/^Credential/);
    const list = document.getElementById(input.getAttribute("list")!)!;
    expect([...list.querySelectorAll("option")].map((o) => o.getAttribute("value"))).toEqual(["orders-db", "github"]);
    await user.type(input, "orders-d");
    expect(screen.getByText(/No stored credential is named “orders-d”/)).toBeInTheDocument();
    await user.type(input, "b");
    expect(last()).toEqual({ credential: "orders-db" });
    expect(screen.getByText("Uses “orders-db” (postgres, version 3).")).toBeInTheDocument();
    expect(input.getAttribute("aria-describedby")).toContain("credential");
  });

  it("accepts an id or a template without complaint", async () => {
    setup("db.postgres", { credential: credentials[1].id }, { credentials });
    expect(screen.getByText("Uses “github” (http.bearer, version 1).")).toBeInTheDocument();
    cleanup();
    setup("db.postgres", { credential: "{{ .vars.db }}" }, { credentials });
    expect(screen.queryByText(/No stored credential/)).not.toBeInTheDocument();
  });

  it("is plain text when the credentials cannot be listed", () => {
    setup("db.postgres", { credential: "anything" });
    const input = screen.getByLabelText(/^Credential/);
    expect(input).not.toHaveAttribute("list");
    expect(screen.queryByText(/stored credential/)).not.toBeInTheDocument();
  });
});
