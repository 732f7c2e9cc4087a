// One property of a node's config: its label (the schema title, marked when required),
// the widget for its kind, its help text (the schema description) and its messages (local
// parse errors and the validator's, matched by JSON pointer), wired with aria attributes.
import type { JsonSchema } from "@/api/types";
import { Label } from "@/components/ui/input";
import { fieldId, useSchemaFormContext } from "./context";
import { CredentialWidget } from "./CredentialWidget";
import { ExpressionEditor } from "./ExpressionEditor";
import { Help, Messages } from "./Help";
import { KeyValueWidget } from "./KeyValueWidget";
import { ObjectListWidget, StringListWidget } from "./ListWidgets";
import { SchemaForm } from "./SchemaForm";
import { fieldKind, formatAny, parseAny, placeholderOf, type FieldKind } from "./schema";
import { useParsedText } from "./useParsedText";
import { BooleanWidget, EnumWidget, NumberWidget, TextWidget, type WidgetProps } from "./widgets";

export interface FieldProps {
  name: string;
  schema: JsonSchema;
  value: unknown;
  required: boolean;
  /** Path inside the node, e.g. `config/url` (matches validator pointers). */
  path: string;
  onChange: (v: unknown) => void;
}

/** Kinds drawn as a group of controls, labelled by a <legend>. */
const GROUPS: ReadonlySet<FieldKind> = new Set(["fieldset", "object-list", "string-list", "key-value"]);

function TemplateTextWidget(p: WidgetProps) {
  return (
    <ExpressionEditor
      id={p.id}
      text={typeof p.value === "string" ? p.value : p.value === undefined ? "" : JSON.stringify(p.value)}
      onText={(t) => p.onChange(t === "" ? undefined : t)}
      describedBy={p.describedBy}
      invalid={p.invalid}
      required={p.required}
      placeholder={placeholderOf(p.schema)}
    />
  );
}

function AnyExpressionWidget(p: WidgetProps) {
  const { text, error, change } = useParsedText<unknown>(p.value, formatAny, parseAny, (v) => p.onChange(v));
  const errId = `${p.id}-parse`;
  return (
    <>
      <ExpressionEditor
        id={p.id}
        text={text}
        onText={change}
        describedBy={[p.describedBy, error && errId].filter(Boolean).join(" ") || undefined}
        invalid={p.invalid || !!error}
        required={p.required}
        placeholder={placeholderOf(p.schema) ?? "text, JSON or {{ jq }}"}
      />
      <Messages id={errId} messages={error ? [error] : []} />
    </>
  );
}

export function Field({ name, schema, value, required, path, onChange }: FieldProps) {
  const ctx = useSchemaFormContext();
  const kind = fieldKind(schema);
  const id = fieldId(ctx.idPrefix, path);
  const descId = `${id}-desc`;
  const errId = `${id}-err`;
  // Widgets that edit a whole object show the messages about its inside too.
  const messages = ctx.errors(path, kind !== "fieldset" && kind !== "object-list");
  const invalid = messages.length > 0;
  const describedBy = [schema.description && descId, invalid && errId].filter(Boolean).join(" ") || undefined;
  const label = schema.title ?? name;
  const widget: WidgetProps = { id, schema, value, onChange, describedBy, invalid, required, label };

  if (GROUPS.has(kind)) {
    return (
      <fieldset className="min-w-0" aria-describedby={describedBy} aria-invalid={invalid || undefined} data-field={path}>
        <legend className="text-sm font-medium text-slate-800">
          {label}
          {required && <RequiredMark />}
        </legend>
        <Help id={descId} text={schema.description} />
        <div className="mt-2">
          {kind === "fieldset" && (
            <div className="rounded-md border border-slate-200 p-2.5">
              <SchemaForm
                schema={schema}
                value={value && typeof value === "object" ? (value as Record<string, unknown>) : {}}
                path={path}
                onChange={(next) => onChange(next)}
              />
            </div>
          )}
          {kind === "key-value" && <KeyValueWidget {...widget} />}
          {kind === "object-list" && <ObjectListWidget {...widget} path={path} />}
          {kind === "string-list" && <StringListWidget {...widget} />}
        </div>
        <Messages id={errId} messages={messages} />
      </fieldset>
    );
  }

  if (kind === "boolean") {
    return (
      <div data-field={path}>
        <div className="flex items-center justify-between gap-3">
          <Label htmlFor={id}>
            {label}
            {required && <RequiredMark />}
          </Label>
          <BooleanWidget {...widget} />
        </div>
        <Help id={descId} text={schema.description} />
        <Messages id={errId} messages={messages} />
      </div>
    );
  }

  return (
    <div data-field={path}>
      <Label htmlFor={id} className="mb-1 block">
        {label}
        {required && <RequiredMark />}
      </Label>
      {kind === "text" && <TextWidget {...widget} />}
      {kind === "credential" && <CredentialWidget {...widget} />}
      {kind === "number" && <NumberWidget {...widget} />}
      {kind === "enum" && <EnumWidget {...widget} />}
      {kind === "template-text" && <TemplateTextWidget {...widget} />}
      {kind === "expression" && <AnyExpressionWidget {...widget} />}
      <Help id={descId} text={schema.description} />
      <Messages id={errId} messages={messages} />
    </div>
  );
}

function RequiredMark() {
  return (
    <>
      <span aria-hidden className="ml-0.5 text-red-700">
        *
      </span>
      <span className="sr-only"> (required)</span>
    </>
  );
}
