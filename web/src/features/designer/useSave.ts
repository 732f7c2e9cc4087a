// Saving: a new version from the current definition, sent with the version the edit started
// from. A 409 (someone saved meanwhile) opens the reload-or-overwrite choice; a 422 puts the
// validator's problems on the canvas; anything else is a toast with the problem's detail.
import { useCallback, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { keys } from "@/api/keys";
import type { NodeSpec } from "@/api/types";
import { problemOf, errorText } from "@/features/auth/errors";
import { toast } from "@/components/ui/toast";
import { latestWorkflow, useSaveWorkflow } from "./api";
import { clearDrafts } from "./drafts";
import { useDesigner } from "./store";

export function useSave(workflowId: string, specs: readonly NodeSpec[]) {
  const mutation = useSaveWorkflow(workflowId);
  const qc = useQueryClient();
  const [conflict, setConflict] = useState(false);
  const [pending, setPending] = useState(false);

  const save = useCallback(
    async (overwrite = false): Promise<boolean> => {
      const s = useDesigner.getState();
      const definition = s.definition();
      const stateId = s.stateId;
      setPending(true);
      try {
        const expected = overwrite ? (await latestWorkflow(workflowId)).version : s.baseVersion;
        const saved = await mutation.mutateAsync({ definition, expectedVersion: expected });
        // Edits made while the request was in flight stay unsaved.
        useDesigner.getState().markSaved(saved.version, stateId);
        setConflict(false);
        toast.success(`Saved as version ${saved.version}.`);
        return true;
      } catch (e) {
        const p = problemOf(e);
        if (p?.status === 409) setConflict(true);
        else if (p?.status === 422 && Array.isArray(p.problems)) {
          useDesigner.getState().setProblems(definition, p.problems);
          toast.error(`Not saved: ${p.problems.length === 1 ? "1 problem" : `${p.problems.length} problems`} in the workflow (listed under the canvas).`);
        } else toast.error(`Not saved: ${errorText(e)}`);
        return false;
      } finally {
        setPending(false);
      }
    },
    [mutation, workflowId],
  );

  /** Drops local changes and loads the latest saved version. */
  const reload = useCallback(async () => {
    try {
      const latest = await latestWorkflow(workflowId);
      qc.setQueryData(keys.workflow(workflowId), latest);
      clearDrafts(workflowId);
      useDesigner.getState().load({ workflowId, version: latest.version, definition: latest.definition, specs });
      setConflict(false);
      toast.info(`Loaded version ${latest.version}.`);
    } catch (e) {
      toast.error(`Could not reload: ${errorText(e)}`);
    }
  }, [qc, specs, workflowId]);

  return { save, reload, conflict, setConflict, pending };
}
