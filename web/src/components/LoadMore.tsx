// The foot of a paged list: "Load more" while the server has more, and why the last page
// failed to load. Takes a TanStack infinite query as it is.
import { Button } from "@/components/ui/button";
import { errorText } from "@/features/auth/errors";

export interface PagedQuery {
  hasNextPage: boolean;
  isFetchingNextPage: boolean;
  isFetchNextPageError: boolean;
  error: unknown;
  fetchNextPage: () => Promise<unknown>;
}

export function LoadMore({ query }: { query: PagedQuery }) {
  if (!query.hasNextPage && !query.isFetchNextPageError) return null;
  return (
    <div className="mt-3 flex flex-col items-center gap-2">
      {query.hasNextPage && (
        <Button variant="secondary" onClick={() => void query.fetchNextPage()} disabled={query.isFetchingNextPage}>
          {query.isFetchingNextPage ? "Loading…" : "Load more"}
        </Button>
      )}
      {query.isFetchNextPageError && (
        <p role="alert" className="text-sm text-red-700">
          Could not load more: {errorText(query.error)}
        </p>
      )}
    </div>
  );
}
