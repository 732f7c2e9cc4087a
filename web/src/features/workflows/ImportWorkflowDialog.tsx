// Imports a Weft definition file (JSON or YAML), chosen from disk or pasted. The gateway
// parses and validates it; every problem it finds is listed so the file can be fixed in one go.
import { useState, type ChangeEvent, type FormEvent } from "react";
import { useNavigate } from "react-router";
import { Dialog, DialogActions, DialogContent } from "@/components/ui/dialog";
import { FormField } from "@/components/ui/form";
import { FieldError, Input, Select, Textarea } from "@/components/ui/input";
import { errorText, problemOf } from "@/features/auth/errors";
import { detectFormat, useImportWorkflow, type DefinitionFormat } from "./api";
import { ProblemList } from "./ProblemList";

/** Larger than any definition the gateway stores; refuses a wrong file before reading it all. */
const MAX_FILE_BYTES = 4 * 1024 * 1024;

export function ImportWorkflowDialog({ open, onOpenChange }: { open: boolean; onOpenChange: (o: boolean) => void }) {
  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent title="Import workflow" description="A Weft workflow definition as JSON or YAML." className="w-[min(92vw,40rem)]">
        {open && <ImportWorkflowForm />}
      </DialogContent>
    </Dialog>
  );
}

function ImportWorkflowForm() {
  const [text, setText] = useState("");
  const [format, setFormat] = useState<DefinitionFormat>("json");
  const [fileError, setFileError] = useState<string | null>(null);
  const [empty, setEmpty] = useState(false);
  const importWf = useImportWorkflow();
  const navigate = useNavigate();

  const onFile = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    setFileError(null);
    if (!file) return;
    if (file.size > MAX_FILE_BYTES) {
      setFileError(`${file.name} is too large to be a workflow definition`);
      return;
    }
    const content = await file.text();
    setText(content);
    setFormat(detectFormat(content, file.name));
    importWf.reset();
  };

  const onPaste = (value: string) => {
    setText(value);
    // Guess the format from what was pasted; the select still lets the person correct it.
    if (value.trim()) setFormat(detectFormat(value));
    setEmpty(false);
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!text.trim()) {
      setEmpty(true);
      return;
    }
    importWf.mutate({ text, format }, { onSuccess: (w) => navigate(`/workflows/${w.id}`) });
  };

  const p = problemOf(importWf.error);

  return (
    <form onSubmit={submit} noValidate className="space-y-3">
      {/* The file picker keeps its look; the message says what is wrong with the chosen file. */}
      <FormField id="import-file" label="File" error={fileError} invalid={false}>
        <Input
          type="file"
          accept=".json,.yaml,.yml,application/json,application/yaml"
          onChange={onFile}
          className="h-auto py-1.5 file:mr-3 file:rounded file:border-0 file:bg-slate-100 file:px-2 file:py-1 file:text-sm"
        />
      </FormField>
      <FormField id="import-text" label="Definition" error={empty && "Choose a file or paste a definition"}>
        <Textarea
          value={text}
          onChange={(e) => onPaste(e.target.value)}
          placeholder={'{\n  "name": "my-workflow",\n  "nodes": [{ "id": "start", "type": "trigger.manual" }]\n}'}
          className="min-h-48 font-mono text-xs"
          spellCheck={false}
        />
      </FormField>
      <FormField id="import-format" label="Format" className="max-w-40">
        <Select value={format} onChange={(e) => setFormat(e.target.value as DefinitionFormat)}>
          <option value="json">JSON</option>
          <option value="yaml">YAML</option>
        </Select>
      </FormField>
      {importWf.error && (p && (p.problems?.length || p.errors?.length) ? <ProblemList problem={p} /> : <FieldError>{errorText(importWf.error)}</FieldError>)}
      <DialogActions submitLabel="Import" pendingLabel="Importing…" pending={importWf.isPending} />
    </form>
  );
}
