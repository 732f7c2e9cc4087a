// "Run": asks for the execution's input as JSON (checked before sending), saves first when
// there are unsaved changes (a run always uses a saved version), starts the execution and
// opens it.
import { useState } from "react";
import { useNavigate } from "react-router";
import { Button } from "@/components/ui/button";
import { Dialog, DialogClose, DialogContent } from "@/components/ui/dialog";
import { Label, Textarea } from "@/components/ui/input";
import { Help, Messages } from "./schema-form/Help";
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
          <Label htmlFor="run-input" className="mb-1 block">
            Input (JSON)
          </Label>
          <Textarea
            id="run-input"
            value={text}
            onChange={(e) => setText(e.target.value)}
            rows={8}
            spellCheck={false}
            className="font-mono text-xs"
            aria-invalid={!parsed.ok || undefined}
            aria-describedby={`run-input-help${!parsed.ok ? " run-input-err" : ""}`}
          />
          <Help id="run-input-help" text="Expressions read it as `.input`." />
          <Messages id="run-input-err" messages={parsed.ok ? [] : [parsed.error]} />
          {error && (
            <p role="alert" className="mt-3 rounded-md border border-red-200 bg-red-50 p-2 text-sm text-red-800">
              {error}
            </p>
          )}
          <div className="mt-5 flex justify-end gap-2">
            <DialogClose asChild>
              <Button variant="secondary">Cancel</Button>
            </DialogClose>
            <Button type="submit" disabled={!parsed.ok || pending}>
              {pending ? "Starting…" : "Start run"}
            </Button>
          </div>
        </form>
      </DialogContent>
    </Dialog>
  );
}
