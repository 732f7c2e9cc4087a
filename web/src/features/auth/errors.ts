// Turning thrown API errors into words for the person at the form: the problem's detail, and
// which input it belongs to when the gateway names a `field`.
import { ApiError, type Problem } from "@/api/problem";

export function problemOf(err: unknown): Problem | null {
  return err instanceof ApiError ? err.problem : null;
}

/** One sentence for a failed call: the problem's detail, else its title, else the error text. */
export function errorText(err: unknown): string {
  const p = problemOf(err);
  if (p) return p.detail || p.title;
  if (err instanceof Error) return err.message;
  return "Something went wrong";
}

/**
 * Splits an error between the form's fields: the message for the field the problem names
 * (when the form has it), and everything else as one message for the whole form.
 */
export function formErrors<F extends string>(
  err: unknown,
  fields: readonly F[],
): { field: Partial<Record<F, string>>; form?: string } {
  if (!err) return { field: {} };
  const p = problemOf(err);
  const name = p?.field?.replace(/^\//, "") as F | undefined;
  if (p && name && fields.includes(name)) return { field: { [name]: errorText(err) } as Partial<Record<F, string>> };
  return { field: {}, form: errorText(err) };
}
