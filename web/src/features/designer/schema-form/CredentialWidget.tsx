// A field naming a stored credential. It stays free text (an id, a name, a credential not
// created yet, or a {{ }} template), with the stored credentials offered as suggestions and a
// line saying which one the text names, so a typo shows before the run fails on it.
import { Input } from "@/components/ui/input";
import { useSchemaFormContext } from "./context";
import { placeholderOf } from "./schema";
import type { WidgetProps } from "./widgets";

export function CredentialWidget({ id, schema, value, onChange, describedBy, invalid, required }: WidgetProps) {
  const { credentials } = useSchemaFormContext();
  const text = typeof value === "string" ? value : "";
  const listId = `${id}-credentials`;
  const statusId = `${id}-credential`;
  const named = text.trim();
  const match = credentials?.find((c) => c.name === named || c.id === named);
  // Only a plain reference can be checked here; a template is resolved at run time.
  const checkable = credentials !== undefined && named !== "" && !named.includes("{{");
  return (
    <>
      <Input
        id={id}
        list={credentials?.length ? listId : undefined}
        value={text}
        onChange={(e) => onChange(e.target.value === "" ? undefined : e.target.value)}
        placeholder={placeholderOf(schema) ?? (credentials?.length ? "choose or type a credential name" : undefined)}
        aria-describedby={[describedBy, checkable && statusId].filter(Boolean).join(" ") || undefined}
        aria-invalid={invalid || undefined}
        aria-required={required || undefined}
        autoComplete="off"
        spellCheck={false}
      />
      {!!credentials?.length && (
        <datalist id={listId}>
          {credentials.map((c) => (
            <option key={c.id} value={c.name}>
              {c.kind}
            </option>
          ))}
        </datalist>
      )}
      {checkable &&
        (match ? (
          <p id={statusId} className="mt-1 text-xs text-emerald-700">
            Uses “{match.name}” ({match.kind}, version {match.version}).
          </p>
        ) : (
          <p id={statusId} className="mt-1 text-xs text-amber-800">
            No stored credential is named “{named}”: create it under Admin → Credentials, or the run fails here.
          </p>
        ))}
    </>
  );
}
