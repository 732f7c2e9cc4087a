// The simple widgets: single-line text, numbers (typed text parsed on the fly), booleans as
// switches, enums as native selects. Each takes the ids that tie it to its label, help and
// messages, so screen readers announce them together.
import { Input, Select } from "@/components/ui/input";
import { Switch } from "@/components/ui/misc";
import type { JsonSchema } from "@/api/types";
import { Messages } from "./Help";
import { parseNumber, placeholderOf } from "./schema";
import { useParsedText } from "./useParsedText";

export interface WidgetProps<T = unknown> {
  id: string;
  schema: JsonSchema;
  value: T;
  onChange: (v: T | undefined) => void;
  describedBy?: string;
  invalid: boolean;
  required: boolean;
  label: string;
}

export function TextWidget({ id, schema, value, onChange, describedBy, invalid, required }: WidgetProps) {
  return (
    <Input
      id={id}
      value={typeof value === "string" ? value : value === undefined ? "" : JSON.stringify(value)}
      onChange={(e) => onChange(e.target.value === "" ? undefined : e.target.value)}
      placeholder={placeholderOf(schema) ?? (schema.format === "date-time" ? "e.g. 2030-01-31T09:00:00Z" : undefined)}
      aria-describedby={describedBy}
      aria-invalid={invalid || undefined}
      aria-required={required || undefined}
      maxLength={typeof schema.maxLength === "number" ? schema.maxLength : undefined}
      spellCheck={false}
    />
  );
}

export function NumberWidget({ id, schema, value, onChange, describedBy, invalid, required }: WidgetProps) {
  const { text, error, change } = useParsedText<unknown>(
    value,
    (v) => (v === undefined || v === null ? "" : String(v)),
    (t) => parseNumber(t, schema),
    (v) => onChange(v),
  );
  const errId = `${id}-parse`;
  return (
    <>
      <Input
        id={id}
        inputMode="decimal"
        value={text}
        onChange={(e) => change(e.target.value)}
        placeholder={placeholderOf(schema)}
        aria-describedby={[describedBy, error && errId].filter(Boolean).join(" ") || undefined}
        aria-invalid={invalid || !!error || undefined}
        aria-required={required || undefined}
      />
      <Messages id={errId} messages={error ? [error] : []} />
    </>
  );
}

export function BooleanWidget({ id, schema, value, onChange, describedBy, invalid }: WidgetProps) {
  const checked = typeof value === "boolean" ? value : schema.default === true;
  return (
    <Switch
      id={id}
      checked={checked}
      onCheckedChange={(v) => onChange(v)}
      aria-describedby={describedBy}
      aria-invalid={invalid || undefined}
    />
  );
}

export function EnumWidget({ id, schema, value, onChange, describedBy, invalid, required }: WidgetProps) {
  const options = (schema.enum ?? []).map((v) => ({ key: JSON.stringify(v), v }));
  const current = value === undefined ? "" : JSON.stringify(value);
  const unset =
    schema.default !== undefined ? `Default (${typeof schema.default === "string" ? schema.default : JSON.stringify(schema.default)})` : "Not set";
  return (
    <Select
      id={id}
      value={current}
      onChange={(e) => onChange(e.target.value === "" ? undefined : options.find((o) => o.key === e.target.value)?.v)}
      aria-describedby={describedBy}
      aria-invalid={invalid || undefined}
      aria-required={required || undefined}
    >
      {(!required || schema.default !== undefined || value === undefined) && <option value="">{unset}</option>}
      {options.map((o) => (
        <option key={o.key} value={o.key}>
          {typeof o.v === "string" ? o.v : o.key}
        </option>
      ))}
      {current && !options.some((o) => o.key === current) && <option value={current}>{current} (not allowed)</option>}
    </Select>
  );
}
