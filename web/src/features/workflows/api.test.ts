import { describe, expect, it } from "vitest";
import { detectFormat, parseTags, starterDefinition } from "./api";

describe("workflow list helpers", () => {
  it("makes the smallest valid definition, leaving out empty optional parts", () => {
    expect(starterDefinition({ name: " a ", description: "  ", tags: [] })).toEqual({
      name: "a",
      nodes: [{ id: "start", type: "trigger.manual", position: { x: 0, y: 0 } }],
      edges: [],
    });
  });

  it("splits tags on commas, trimming blanks and repeats", () => {
    expect(parseTags(" a, b ,,a, c d ")).toEqual(["a", "b", "c d"]);
  });

  it("detects the format from the file name first, then the content", () => {
    expect(detectFormat("{}", "x.yml")).toBe("yaml");
    expect(detectFormat("name: x", "x.JSON")).toBe("json");
    expect(detectFormat('  {"name":"x"}')).toBe("json");
    expect(detectFormat("name: x")).toBe("yaml");
  });
});
