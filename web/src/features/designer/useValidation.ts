// Live validation: a moment after each change the current definition goes to
// POST /workflows/validate, and the problems land on the nodes and fields at fault. Answers
// for a state that has since changed are dropped.
import { useEffect, useState } from "react";
import { validateDefinition } from "./api";
import { useDesigner } from "./store";

export const VALIDATE_DELAY_MS = 400;

export function useLiveValidation(enabled: boolean): "idle" | "checking" | "failed" {
  const stateId = useDesigner((s) => s.stateId);
  const ready = useDesigner((s) => !!s.workflowId);
  const [state, setState] = useState<"idle" | "checking" | "failed">("idle");
  useEffect(() => {
    if (!enabled || !ready) return;
    let live = true;
    const timer = setTimeout(async () => {
      const s = useDesigner.getState();
      const definition = s.definition();
      const at = s.stateId;
      setState("checking");
      try {
        const r = await validateDefinition(definition);
        if (!live || useDesigner.getState().stateId !== at) return;
        useDesigner.getState().setProblems(definition, r.problems);
        setState("idle");
      } catch {
        if (live) setState("failed");
      }
    }, VALIDATE_DELAY_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [stateId, enabled, ready]);
  return state;
}
