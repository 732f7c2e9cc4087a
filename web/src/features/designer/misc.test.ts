import { describe, expect, it } from "vitest";
import { idProblem, idStem, uniqueId } from "./ids";
import { applyCompletion, completeNodeIds, nodeIdPrefix } from "./schema-form/jq";
import { fieldKind, formatAny, parseAny, valueKind } from "./schema-form/schema";
import { pngFileName } from "./exportPng";
import { parseRunInput } from "./RunDialog";
import { SHORTCUTS } from "./shortcuts";
import { specs } from "@/features/canvas/testFixtures";

const key = (k: string, mods: Partial<KeyboardEvent> = {}) => ({ key: k, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...mods }) as KeyboardEvent;
const actionOf = (e: KeyboardEvent) => SHORTCUTS.find((s) => s.match(e))?.action;

describe("node ids", () => {
  it("derives readable, unique ids from the type", () => {
    expect(idStem("http.request")).toBe("http_request");
    expect(uniqueId("http.request", new Set(["http_request", "http_request_2"]))).toBe("http_request_3");
  });
  it("validates ids like the server", () => {
    expect(idProblem("ok.id-1_x", new Set())).toBeNull();
    expect(idProblem("", new Set())).toMatch(/required/);
    expect(idProblem("has space", new Set())).toMatch(/letters/);
    expect(idProblem("a", new Set(["a"]), "a")).toBeNull();
    expect(idProblem("a", new Set(["a"]), "b")).toMatch(/already/);
  });
});

describe("schema field kinds", () => {
  const prop = (type: string, name: string) => specs.find((s) => s.type === type)!.schema.properties![name];
  it("maps the catalog's properties to widgets", () => {
    expect(fieldKind(prop("http.request", "method"))).toBe("enum");
    expect(fieldKind(prop("http.request", "url"))).toBe("template-text");
    expect(fieldKind(prop("http.request", "headers"))).toBe("key-value");
    expect(fieldKind(prop("http.request", "body"))).toBe("expression");
    expect(fieldKind(prop("http.request", "timeout_ms"))).toBe("number");
    expect(fieldKind(prop("flow.switch", "cases"))).toBe("object-list");
    expect(fieldKind(prop("flow.for_each", "items"))).toBe("expression");
    expect(fieldKind(prop("data.transform", "filter"))).toBe("template-text");
    expect(fieldKind(prop("data.set", "keep_input"))).toBe("boolean");
    expect(fieldKind(prop("flow.signal", "name"))).toBe("text");
    expect(valueKind(prop("http.request", "query"))).toBe("scalar");
    expect(valueKind(prop("data.set", "fields"))).toBe("any");
  });
  it("round-trips free-form values through their text", () => {
    for (const v of ["plain words", "{{ .prev }}", "123", "true", '"quoted"', 42, false, null, { a: [1] }, [1, "x"]]) {
      const p = parseAny(formatAny(v));
      expect(p.ok && p.value).toEqual(v);
    }
    expect(parseAny("{broken").ok).toBe(false);
    expect(parseAny("  ")).toEqual({ ok: true, value: undefined });
  });
});

describe("jq completion", () => {
  it("finds the id being typed after .nodes.", () => {
    expect(nodeIdPrefix("{{ .nodes.ge", 12)).toBe("ge");
    expect(nodeIdPrefix("{{ .prev.ge", 11)).toBeNull();
    expect(completeNodeIds(["get", "target", "start"], "t")).toEqual(["target", "get", "start"]);
  });
  it("replaces the partial id with the chosen one", () => {
    expect(applyCompletion("{{ .nodes.ge }}", 12, "get")).toEqual({ text: "{{ .nodes.get }}", caret: 13 });
    expect(applyCompletion(".nodes.x", 8, "x-y")).toEqual({ text: '.nodes["x-y"]', caret: 13 });
  });
});

describe("shortcuts", () => {
  it("maps keys to actions", () => {
    expect(actionOf(key("z", { ctrlKey: true }))).toBe("undo");
    expect(actionOf(key("Z", { metaKey: true, shiftKey: true }))).toBe("redo");
    expect(actionOf(key("y", { ctrlKey: true }))).toBe("redo");
    expect(actionOf(key("Backspace"))).toBe("delete");
    expect(actionOf(key("s", { ctrlKey: true }))).toBe("save");
    expect(actionOf(key("f"))).toBe("fitView");
    expect(actionOf(key("l"))).toBe("autoLayout");
    expect(actionOf(key("?", { shiftKey: true }))).toBe("help");
    expect(actionOf(key("f", { ctrlKey: true }))).toBeUndefined();
  });
});

describe("small helpers", () => {
  it("names the exported image after the workflow", () => {
    expect(pngFileName("Orders: EU/US")).toBe("Orders- EU-US.png");
    expect(pngFileName("  ")).toBe("workflow.png");
  });
  it("accepts only a JSON object as run input", () => {
    expect(parseRunInput("")).toEqual({ ok: true, value: {} });
    expect(parseRunInput('{"a":1}')).toEqual({ ok: true, value: { a: 1 } });
    expect(parseRunInput("[1]").ok).toBe(false);
    expect(parseRunInput("{").ok).toBe(false);
  });
});
