// Starts a workflow from a name (and optional description and tags) with one manual trigger,
// then opens it in the designer where the real drawing happens.
import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import { Button } from "@/components/ui/button";
import { Dialog, DialogClose, DialogContent } from "@/components/ui/dialog";
import { FieldError, Input, Label, Textarea } from "@/components/ui/input";
import { problemOf, errorText } from "@/features/auth/errors";
import { parseTags, starterDefinition, useCreateWorkflow } from "./api";
import { ProblemList } from "./ProblemList";

export function CreateWorkflowDialog({ open, onOpenChange }: { open: boolean; onOpenChange: (o: boolean) => void }) {
  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent title="Create workflow" description="It starts with a manual trigger; you add the rest in the designer.">
        {/* Mounted only while open, so every opening starts with an empty form. */}
        {open && <CreateWorkflowForm />}
      </DialogContent>
    </Dialog>
  );
}

function CreateWorkflowForm() {
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [tags, setTags] = useState("");
  const [touched, setTouched] = useState(false);
  const create = useCreateWorkflow();
  const navigate = useNavigate();

  const nameMissing = touched && !name.trim();
  const p = problemOf(create.error);
  // A 422 about the name belongs under the name field; any other goes below the form.
  const nameProblem = p?.problems?.find((x) => x.pointer === "/name")?.message ?? (p?.field === "/name" ? p.detail : undefined);
  const nameError = nameMissing ? "A name is required" : nameProblem;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (!name.trim()) return;
    create.mutate(starterDefinition({ name, description, tags: parseTags(tags) }), {
      onSuccess: (w) => navigate(`/workflows/${w.id}`),
    });
  };

  return (
    <form onSubmit={submit} noValidate className="space-y-3">
      <div>
        <Label htmlFor="wf-name">Name</Label>
        <Input
          id="wf-name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          aria-invalid={!!nameError}
          aria-describedby={nameError ? "wf-name-error" : undefined}
          autoFocus
          required
        />
        <FieldError id="wf-name-error">{nameError}</FieldError>
      </div>
      <div>
        <Label htmlFor="wf-description">Description (optional)</Label>
        <Textarea id="wf-description" value={description} onChange={(e) => setDescription(e.target.value)} />
      </div>
      <div>
        <Label htmlFor="wf-tags">Tags (optional)</Label>
        <Input id="wf-tags" value={tags} onChange={(e) => setTags(e.target.value)} placeholder="billing, nightly" aria-describedby="wf-tags-help" />
        <p id="wf-tags-help" className="mt-1 text-xs text-slate-600">Separate tags with commas.</p>
      </div>
      {create.error && !nameProblem && (p?.problems ? <ProblemList problem={p} /> : <FieldError>{errorText(create.error)}</FieldError>)}
      <div className="flex justify-end gap-2 pt-2">
        <DialogClose asChild>
          <Button variant="secondary">Cancel</Button>
        </DialogClose>
        <Button type="submit" disabled={create.isPending}>
          {create.isPending ? "Creating…" : "Create"}
        </Button>
      </div>
    </form>
  );
}
