import { beforeAll, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, within } from "@testing-library/react";
import { WorkflowCanvas } from "./WorkflowCanvas";
import { decorate } from "./decorate";
import { definitionToFlow } from "./convert";
import { installReactFlowDomShims } from "./testing";
import { sampleDefinition, specs } from "./testFixtures";

beforeAll(installReactFlowDomShims);

function handles(nodeId: string, type: "source" | "target") {
  return [...document.querySelectorAll<HTMLElement>(`.react-flow__handle[data-nodeid="${nodeId}"].${type}`)].map(
    (h) => h.dataset.handleid,
  );
}

describe("WorkflowCanvas", () => {
  it("draws every node, body nodes included, with its ports as handles", async () => {
    render(<WorkflowCanvas definition={sampleDefinition()} specs={specs} />);
    for (const id of ["start", "get", "route", "check", "each", "sq", "log_item", "failed"]) {
      expect(await screen.findByTestId(`node-${id}`)).toBeInTheDocument();
    }
    expect(handles("start", "target")).toEqual([]);
    expect(handles("get", "target")).toEqual(["in"]);
    expect(handles("get", "source")).toEqual(["main", "error"]);
    expect(handles("check", "source")).toEqual(["true", "false"]);
    expect(handles("route", "source")).toEqual(["big", "small", "other"]);
    // Non-main ports are labelled in the node, not only by colour.
    expect(within(screen.getByTestId("node-check")).getByText("true")).toBeInTheDocument();
    expect(within(screen.getByTestId("node-get")).getByText("error")).toBeInTheDocument();
    // The body node sits inside its group.
    expect(document.querySelector('.react-flow__node[data-id="sq"]')).toBeInTheDocument();
  });

  it("shows run status with a word, not colour alone, and a retry badge", async () => {
    render(
      <WorkflowCanvas
        definition={sampleDefinition()}
        specs={specs}
        runState={{
          start: { status: "succeeded", attempts: 1 },
          get: { status: "failed", attempts: 3, error: "503 from upstream" },
          sq: { status: "running", attempts: 1 },
        }}
      />,
    );
    const get = await screen.findByTestId("node-get");
    expect(get).toHaveAttribute("data-status", "failed");
    expect(within(get).getByText("Failed")).toBeInTheDocument();
    expect(within(get).getByTestId("attempts-badge")).toHaveTextContent("×3");
    expect(within(get).getByText("503 from upstream")).toBeInTheDocument();
    expect(screen.getByTestId("node-start")).toHaveAttribute("data-status", "succeeded");
    expect(within(screen.getByTestId("node-start")).queryByTestId("attempts-badge")).toBeNull();
    expect(screen.getByTestId("node-sq")).toHaveAttribute("data-status", "running");
    expect(screen.getByTestId("node-route")).not.toHaveAttribute("data-status");
  });

  it("highlights diff changes and reports clicks by node id", async () => {
    const onNodeClick = vi.fn();
    render(
      <WorkflowCanvas
        definition={sampleDefinition()}
        specs={specs}
        highlight={{ get: "changed", failed: "added" }}
        onNodeClick={onNodeClick}
        selectedNodeId="check"
      />,
    );
    const get = await screen.findByTestId("node-get");
    expect(get).toHaveAttribute("data-highlight", "changed");
    expect(within(get).getByText("Changed")).toBeInTheDocument();
    expect(within(screen.getByTestId("node-failed")).getByText("Added")).toBeInTheDocument();
    fireEvent.click(get);
    expect(onNodeClick).toHaveBeenCalledWith("get");
    const wrapper = document.querySelector<HTMLElement>('.react-flow__node[data-id="check"]')!;
    expect(wrapper).toHaveClass("selected");
    fireEvent.keyDown(wrapper, { key: "Enter" });
    expect(onNodeClick).toHaveBeenLastCalledWith("check");
  });
});

describe("decorate", () => {
  it("returns the same object for the same decoration, so unchanged nodes do not re-render", () => {
    const [node] = definitionToFlow(sampleDefinition(), specs).nodes;
    expect(decorate(node, {})).toBe(node);
    const a = decorate(node, { runState: { status: "running", attempts: 1 } });
    const b = decorate(node, { runState: { status: "running", attempts: 1 } });
    expect(a).toBe(b);
    expect(a).not.toBe(node);
    expect(decorate(node, { runState: { status: "succeeded", attempts: 1 } })).not.toBe(a);
    expect(decorate(node, { problems: ["bad"] }).data.problems).toEqual(["bad"]);
  });
});
