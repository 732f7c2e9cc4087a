// Which output ports (source handles) a node has. The engine decides where a node's output
// goes by port name, so the canvas must offer exactly the ports the validator accepts:
// the spec's fixed names, a switch's case names plus its default, and `error` when failures
// are routed.
import type { NodeDef, NodeSpec } from "@/api/types";
import { ERROR_PORT, MAIN_PORT } from "./types";

/** The default port name of `flow.switch` when `config.default` is absent. */
export const SWITCH_DEFAULT_PORT = "default";

function casePorts(def: NodeDef): string[] {
  const cases = def.config?.cases;
  const names = Array.isArray(cases)
    ? cases
        .map((c) => (c && typeof c === "object" ? (c as { name?: unknown }).name : undefined))
        .filter((n): n is string => typeof n === "string" && n.length > 0)
    : [];
  const fallback = def.config?.default;
  names.push(typeof fallback === "string" && fallback ? fallback : SWITCH_DEFAULT_PORT);
  return [...new Set(names)];
}

/** Output ports of a node, in the order they are drawn (top to bottom). */
export function sourcePorts(def: NodeDef, spec?: NodeSpec): string[] {
  let ports: string[];
  if (spec?.ports.kind === "cases" || (!spec && def.type === "flow.switch")) ports = casePorts(def);
  else if (spec?.ports.kind === "fixed" && spec.ports.names.length) ports = [...spec.ports.names];
  else ports = [MAIN_PORT];
  if (def.on_error === "route" && !ports.includes(ERROR_PORT)) ports.push(ERROR_PORT);
  return ports;
}

/** Whether a node takes incoming edges: triggers start a workflow and have no input. */
export function hasTarget(spec?: NodeSpec): boolean {
  return !spec?.trigger;
}
