import { describe, expect, it } from "vitest";
import { definitionToFlow } from "@/features/canvas";
import { sampleDefinition, specs } from "@/features/canvas/testFixtures";
import { connectionProblem } from "./connect";

const { nodes, edges } = definitionToFlow(sampleDefinition(), specs);
const check = (source: string, target: string, sourceHandle = "main") => connectionProblem(nodes, edges, { source, target, sourceHandle });

describe("connectionProblem", () => {
  it("allows a new forward edge on a free port", () => {
    expect(check("check", "failed", "false")).toBeNull();
    expect(check("sq", "log_item", "main")).toMatch(/already connected/);
  });

  it("refuses self loops", () => {
    expect(check("get", "get")).toMatch(/itself/);
  });

  it("refuses cycles outside loops", () => {
    expect(check("each", "get")).toMatch(/cycle/i);
    expect(check("log_item", "sq")).toMatch(/cycle/i);
  });

  it("refuses edges across a loop boundary, including into the loop's own body", () => {
    expect(check("get", "sq")).toMatch(/loop boundary/);
    expect(check("log_item", "failed")).toMatch(/loop boundary/);
    expect(check("each", "sq")).toMatch(/entry nodes/);
  });

  it("refuses an edge into a trigger", () => {
    expect(check("failed", "start")).toMatch(/trigger/);
  });

  it("refuses a duplicate (from, port, to) but allows another port to the same node", () => {
    expect(check("get", "failed", "error")).toMatch(/already connected/);
    expect(check("get", "failed", "main")).toBeNull();
  });
});
