// A failed load, said plainly: what could not be loaded, the problem's detail, the request
// field at fault when the gateway names one, and a way to try again.
import { Button } from "@/components/ui/button";
import { errorText, problemOf } from "@/features/auth/errors";
import { cn } from "@/lib/cn";

export function ErrorNotice({
  what,
  error,
  onRetry,
  className,
}: {
  /** "Could not load <what>". */
  what: string;
  error: unknown;
  onRetry?: () => void;
  className?: string;
}) {
  const field = problemOf(error)?.field;
  return (
    <div role="alert" className={cn("rounded-lg border border-red-200 bg-red-50 p-3 text-sm text-red-800", className)}>
      <p>
        Could not load {what}: {errorText(error)}
        {field && (
          <>
            {" "}
            (field <code className="rounded bg-white px-1 font-mono text-xs">{field}</code>)
          </>
        )}
      </p>
      {onRetry && (
        <Button variant="secondary" size="sm" className="mt-2" onClick={onRetry}>
          Try again
        </Button>
      )}
    </div>
  );
}
