import { describe, expect, it } from "vitest";
import { sampleDefinition } from "@/features/canvas/testFixtures";
import { fieldMessages, indexProblems, locate } from "./pointers";

const def = sampleDefinition();

describe("locate", () => {
  it("resolves top-level node pointers to the node and the field inside it", () => {
    expect(locate(def, "/nodes/1/config/url")).toEqual({ nodeId: "get", field: "config/url" });
    expect(locate(def, "/nodes/1/retry/max_attempts")).toEqual({ nodeId: "get", field: "retry/max_attempts" });
    expect(locate(def, "/nodes/2")).toEqual({ nodeId: "route", field: "" });
  });

  it("descends into loop bodies", () => {
    expect(locate(def, "/nodes/4/config/body/nodes/1/config/message")).toEqual({ nodeId: "log_item", field: "config/message" });
    // A problem with the body as a whole stays on the loop.
    expect(locate(def, "/nodes/4/config/body/nodes")).toEqual({ nodeId: "each", field: "config/body/nodes" });
  });

  it("attributes an edge problem to the edge's source node, in bodies too", () => {
    expect(locate(def, "/edges/2/port").nodeId).toBe("get");
    expect(locate(def, "/nodes/4/config/body/edges/0/to").nodeId).toBe("sq");
  });

  it("leaves pointers outside the graph unattributed", () => {
    expect(locate(def, "/name")).toEqual({ nodeId: undefined, field: undefined });
    expect(locate(def, "/nodes/99/id")).toEqual({ nodeId: undefined });
    expect(locate(def, "")).toEqual({ nodeId: undefined, field: undefined });
  });

  it("unescapes ~1 and ~0 in field names", () => {
    expect(locate(def, "/nodes/1/config/headers/a~1b~0c").field).toBe("config/headers/a/b~c");
  });
});

describe("indexProblems", () => {
  it("groups messages by node and field, with hints", () => {
    const idx = indexProblems(def, [
      { pointer: "/nodes/1/config/url", message: "not a URL", hint: "use https://" },
      { pointer: "/edges/0/to", message: "edge to unknown node" },
      { pointer: "/settings/x", message: "unknown field" },
    ]);
    expect(idx.byNode.get).toEqual(["not a URL (use https://)"]);
    expect(idx.byNode.start).toEqual(["Edge start → get: edge to unknown node"]);
    expect(idx.byField.start).toBeUndefined();
    expect(idx.list).toHaveLength(3);
    expect(idx.list[2].nodeId).toBeUndefined();
  });

  it("collects nested messages for widgets that edit a whole object", () => {
    const idx = indexProblems(def, [
      { pointer: "/nodes/1/config/headers/X-Key", message: "bad header" },
      { pointer: "/nodes/1/config/headers", message: "not an object" },
    ]);
    expect(fieldMessages(idx.byField.get, "config/headers", true)).toEqual(["bad header", "not an object"]);
    expect(fieldMessages(idx.byField.get, "config/headers", false)).toEqual(["not an object"]);
    expect(fieldMessages(idx.byField.get, "config/head", true)).toEqual([]);
  });
});
