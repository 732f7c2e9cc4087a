// "Run": asks for the execution's input as JSON (checked before sending), saves first when
// there are unsaved changes (a run always uses a saved version), starts the execution and
// opens it.
import { useState } from "react";
import { useNavigate } from "react-router";
import { Dialog, DialogActions, DialogContent } from "@/components/ui/dialog";
import { FormAlert, FormField } from "@/components/ui/form";
import { Textarea } from "@/components/ui/input";
import { withCode } from "./schema-form/Help";
import { errorText } from "@/features/auth/errors";
import { useStartExecution } from "./api";
import { useDesigner } from "./store";

export function parseRunInput(text: string): { ok: true; value: Record<string, unknown> } | { ok: false; error: string } {
  if (!text.trim()) return { ok: true, value: {} };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `Not valid JSON: ${(e as Error).message}` };
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) return { ok: false, error: "The input must be a JSON object, e.g. {\"id\": 42}." };
  return { ok: true, value: v as Record<string, unknown> };
}

export function RunDialog({
  workflowId,
  open,
  onOpenChange,
  save,
}: {
  workflowId: string;
  open: boolean;
  onOpenChange: (o: boolean) => void;
  /** Saves unsaved changes; resolves false when the save did not happen. */
  save: () => Promise<boolean>;
}) {
  const [text, setText] = useState("{}");
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const start = useStartExecution(workflowId);
  const navigate = useNavigate();
  const parsed = parseRunInput(text);

  const run = async () => {
    if (!parsed.ok) return;
    setError(null);
    setPending(true);
    try {
      if (useDesigner.getState().dirty && !(await save())) {
        setError("The workflow was not saved, so it was not run. Fix the problem above the canvas and try again.");
        return;
      }
      const started = await start.mutateAsync(parsed.value);
      onOpenChange(false);
      navigate(`/executions/${started.id}`);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setPending(false);
    }
  };

  const dirty = useDesigner((s) => s.dirty);
  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent title="Run workflow" description={dirty ? "Unsaved changes are saved first, as a new version." : undefined}>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void run();
          }}
        >
          <FormField
            id="run-input"
            label="Input (JSON)"
            labelClassName="mb-1 block"
            help={withCode("Expressions read it as `.input`.")}
            error={!parsed.ok && parsed.error}
          >
            <Textarea value={text} onChange={(e) => setText(e.target.value)} rows={8} spellCheck={false} className="font-mono text-xs" />
          </FormField>
          <FormAlert className="mt-3">{error}</FormAlert>
          <DialogActions className="mt-3" submitLabel="Start run" pendingLabel="Starting…" pending={pending} disabled={!parsed.ok} />
        </form>
      </DialogContent>
    </Dialog>
  );
}
