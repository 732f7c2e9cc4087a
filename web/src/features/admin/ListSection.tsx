// One admin tab that lists things (users, API keys, credentials): a heading with what the
// list is for and the action that adds to it, then the list — or that it is loading, could
// not be loaded, or is empty. `children` (the tab's dialogs) come after.
import type { ReactNode } from "react";
import { EmptyState, Spinner } from "@/components/ui/misc";
import { errorText } from "@/features/auth/errors";

export function ListSection<T>({
  id,
  title,
  description,
  action,
  what,
  query,
  empty,
  list,
  children,
}: {
  /** The heading's id, which names the section. */
  id: string;
  title: string;
  description?: string;
  action?: ReactNode;
  /** "Loading <what>", "Could not load <what>". */
  what: string;
  query: { isPending: boolean; isError: boolean; error: unknown; data: T[] | undefined };
  empty: string;
  list: (items: T[]) => ReactNode;
  children?: ReactNode;
}) {
  return (
    <section aria-labelledby={id}>
      <div className="mb-3 flex flex-wrap items-center justify-between gap-2">
        <div>
          <h2 id={id} className="text-base font-semibold text-slate-900">
            {title}
          </h2>
          {description && <p className="text-sm text-slate-600">{description}</p>}
        </div>
        {action}
      </div>
      {query.isPending ? (
        <Spinner label={`Loading ${what}`} />
      ) : query.isError || !query.data ? (
        <p role="alert" className="text-sm text-red-700">
          Could not load {what}: {errorText(query.error)}
        </p>
      ) : query.data.length === 0 ? (
        <EmptyState>{empty}</EmptyState>
      ) : (
        list(query.data)
      )}
      {children}
    </section>
  );
}
