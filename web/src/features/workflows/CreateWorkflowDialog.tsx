// Starts a workflow from a name (and optional description and tags) with one manual trigger,
// then opens it in the designer where the real drawing happens.
import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import { Dialog, DialogActions, DialogContent } from "@/components/ui/dialog";
import { FormField } from "@/components/ui/form";
import { FieldError, Input, Textarea } from "@/components/ui/input";
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
      <FormField id="wf-name" label="Name" error={nameError}>
        <Input value={name} onChange={(e) => setName(e.target.value)} autoFocus required />
      </FormField>
      <FormField id="wf-description" label="Description (optional)">
        <Textarea value={description} onChange={(e) => setDescription(e.target.value)} />
      </FormField>
      <FormField id="wf-tags" label="Tags (optional)" help="Separate tags with commas.">
        <Input value={tags} onChange={(e) => setTags(e.target.value)} placeholder="billing, nightly" />
      </FormField>
      {create.error && !nameProblem && (p?.problems ? <ProblemList problem={p} /> : <FieldError>{errorText(create.error)}</FieldError>)}
      <DialogActions submitLabel="Create" pendingLabel="Creating…" pending={create.isPending} />
    </form>
  );
}
