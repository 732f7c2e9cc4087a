// The write-only part of a credential: one secret, or named secrets (e.g. a username and a
// password). Inputs are password fields that never hold a stored value: the gateway does not
// give values back, and the browser must not offer to remember them.
import { useId } from "react";
import { Plus, X } from "lucide-react";
import { Button } from "@/components/ui/button";
import { Input, Label } from "@/components/ui/input";
import { cn } from "@/lib/cn";
import type { SecretValue } from "../api";

export interface SecretDraft {
  mode: "single" | "fields";
  secret: string;
  fields: { key: string; value: string }[];
}

export const emptySecret = (): SecretDraft => ({ mode: "single", secret: "", fields: [{ key: "", value: "" }] });

/** What to send: the value, undefined when nothing was typed, or a reason it cannot be sent. */
export function secretValue(d: SecretDraft): { value?: SecretValue; error?: string } {
  if (d.mode === "single") return d.secret ? { value: d.secret } : {};
  const filled = d.fields.filter((f) => f.key.trim() || f.value);
  if (!filled.length) return {};
  const out: Record<string, string> = {};
  for (const f of filled) {
    const key = f.key.trim();
    if (!key) return { error: "Every value needs a name" };
    if (key in out) return { error: `“${key}” appears twice` };
    out[key] = f.value;
  }
  return { value: out };
}

export function SecretValueInput({
  draft,
  onChange,
  error,
  editing,
}: {
  draft: SecretDraft;
  onChange: (d: SecretDraft) => void;
  error?: string;
  /** Editing an existing credential: empty inputs keep the stored value. */
  editing: boolean;
}) {
  const id = useId();
  const setField = (i: number, patch: Partial<{ key: string; value: string }>) =>
    onChange({ ...draft, fields: draft.fields.map((f, j) => (j === i ? { ...f, ...patch } : f)) });

  return (
    <fieldset className="space-y-2" aria-describedby={`${id}-help`}>
      <legend className="text-sm font-medium text-slate-800">{editing ? "New value" : "Value"}</legend>
      <p id={`${id}-help`} className="text-xs text-slate-600">
        {editing
          ? "Stored values are never shown. Leave this empty to keep the current value; anything you enter replaces all of it."
          : "Stored encrypted and never shown again, not even to admins."}
      </p>
      <div role="radiogroup" aria-label="Value shape" className="flex gap-4 text-sm">
        {(["single", "fields"] as const).map((m) => (
          <label key={m} className="flex items-center gap-1.5">
            <input
              type="radio"
              name={`${id}-mode`}
              checked={draft.mode === m}
              onChange={() => onChange({ ...draft, mode: m })}
              className="accent-indigo-600"
            />
            {m === "single" ? "One secret" : "Named values"}
          </label>
        ))}
      </div>
      {draft.mode === "single" ? (
        <div>
          <Label htmlFor={`${id}-secret`} className="sr-only">
            Secret value
          </Label>
          <Input
            id={`${id}-secret`}
            type="password"
            autoComplete="new-password"
            placeholder={editing ? "Unchanged" : "Secret value"}
            value={draft.secret}
            onChange={(e) => onChange({ ...draft, secret: e.target.value })}
            aria-invalid={!!error}
          />
        </div>
      ) : (
        <ul className="space-y-2">
          {draft.fields.map((f, i) => (
            <li key={i} className="flex items-center gap-2">
              <Input
                aria-label={`Name of value ${i + 1}`}
                placeholder="name, e.g. username"
                value={f.key}
                onChange={(e) => setField(i, { key: e.target.value })}
                className="w-2/5"
              />
              <Input
                aria-label={`Value ${i + 1}`}
                type="password"
                autoComplete="new-password"
                placeholder={editing ? "Unchanged" : "value"}
                value={f.value}
                onChange={(e) => setField(i, { value: e.target.value })}
                aria-invalid={!!error}
              />
              <Button
                variant="ghost"
                size="icon"
                aria-label={`Remove value ${i + 1}`}
                disabled={draft.fields.length === 1}
                onClick={() => onChange({ ...draft, fields: draft.fields.filter((_, j) => j !== i) })}
              >
                <X aria-hidden />
              </Button>
            </li>
          ))}
          <li>
            <Button
              variant="ghost"
              size="sm"
              onClick={() => onChange({ ...draft, fields: [...draft.fields, { key: "", value: "" }] })}
            >
              <Plus aria-hidden /> Add value
            </Button>
          </li>
        </ul>
      )}
      <p role={error ? "alert" : undefined} className={cn("text-xs text-red-700", !error && "hidden")}>
        {error}
      </p>
    </fieldset>
  );
}
