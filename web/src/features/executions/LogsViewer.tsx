// The execution's log as the gateway renders it (node starts and ends, failures, `util.log`
// lines, milestones), filtered by lowest level, node and text, a page at a time. While the
// execution runs, new lines are appended as the stream reports new events: the tail is read
// from the server after the last line shown, so it is rendered and filtered exactly like
// the pages before it.
import { useEffect, useMemo, useRef, useState } from "react";
import { useQueryClient, type InfiniteData } from "@tanstack/react-query";
import { Search } from "lucide-react";
import { keys } from "@/api/keys";
import { LoadMore } from "@/components/LoadMore";
import { Time } from "@/components/Time";
import { Badge, EmptyState, Spinner } from "@/components/ui/misc";
import { FormField } from "@/components/ui/form";
import { Input, Select } from "@/components/ui/input";
import { cn } from "@/lib/cn";
import { formatClock } from "@/lib/format";
import { ErrorNotice } from "@/components/ErrorNotice";
import { fetchLogPage, useLogs, type LogFilter, type LogPage } from "./queries";

const LEVELS: LogFilter["level"][] = ["debug", "info", "warn", "error"];

const levelStyle: Record<string, string> = {
  debug: "border-slate-200 bg-slate-50 text-slate-600",
  info: "border-sky-200 bg-sky-50 text-sky-800",
  warn: "border-amber-300 bg-amber-50 text-amber-900",
  error: "border-red-300 bg-red-50 text-red-800",
};

/** A value that follows `value` once it has stopped changing for `ms`. */
function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

/**
 * Appends lines written after the last one shown whenever the stream's seq moves past what
 * was read, at most once per `throttleMs`. Only when the log has been read to its end:
 * until then "Load more" is how to get further.
 */
function useLogTail(id: string, filter: LogFilter, liveSeq: number, atEnd: boolean, lastSeq: number, throttleMs = 500) {
  const qc = useQueryClient();
  const scannedTo = useRef(0);
  const busy = useRef(false);
  // `filter` is memoized by the caller: a new object means a new filter.
  useEffect(() => {
    scannedTo.current = 0;
  }, [filter]);
  useEffect(() => {
    if (!atEnd || liveSeq <= Math.max(scannedTo.current, lastSeq) || busy.current) return;
    const t = setTimeout(async () => {
      busy.current = true;
      const target = liveSeq;
      try {
        const page = await fetchLogPage(id, filter, lastSeq || undefined);
        if (!page.next_cursor) scannedTo.current = target;
        if (!page.items.length && !page.next_cursor) return;
        qc.setQueryData<InfiniteData<LogPage, number | undefined>>(keys.logs(id, { ...filter }), (old) =>
          old ? { pages: [...old.pages, page], pageParams: [...old.pageParams, lastSeq || undefined] } : old,
        );
      } catch {
        // The next event tries again.
      } finally {
        busy.current = false;
      }
    }, throttleMs);
    return () => clearTimeout(t);
  }, [id, filter, liveSeq, atEnd, lastSeq, qc, throttleMs]);
}

export function LogsViewer({
  executionId,
  nodeIds,
  liveSeq,
  onSelectNode,
}: {
  executionId: string;
  /** The workflow's node ids, for the node filter. */
  nodeIds: string[];
  /** The last event seq the stream has seen; a higher one means there may be new lines. */
  liveSeq: number;
  onSelectNode?: (id: string) => void;
}) {
  const [level, setLevel] = useState<LogFilter["level"]>("info");
  const [node, setNode] = useState("");
  const [text, setText] = useState("");
  const q = useDebounced(text.trim(), 300);
  const filter = useMemo<LogFilter>(() => ({ level, node: node || undefined, q: q || undefined }), [level, node, q]);
  const logs = useLogs(executionId, filter);
  const lines = useMemo(() => {
    const seen = new Set<number>();
    return (logs.data?.pages.flatMap((p) => p.items) ?? []).filter((l) => !seen.has(l.seq) && !!seen.add(l.seq));
  }, [logs.data]);
  const lastSeq = lines.length ? lines[lines.length - 1].seq : 0;
  useLogTail(executionId, filter, liveSeq, !!logs.data && !logs.hasNextPage && !logs.isFetching, lastSeq);

  return (
    <div>
      <div role="group" aria-label="Filter log lines" className="mb-3 grid gap-3 sm:grid-cols-[10rem_12rem_minmax(0,1fr)]">
        <FormField label="Lowest level">
          <Select className="mt-1" value={level} onChange={(e) => setLevel(e.target.value as LogFilter["level"])}>
            {LEVELS.map((l) => (
              <option key={l} value={l}>
                {l}
              </option>
            ))}
          </Select>
        </FormField>
        <FormField label="Node">
          <Select className="mt-1" value={node} onChange={(e) => setNode(e.target.value)}>
            <option value="">All nodes</option>
            {nodeIds.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </Select>
        </FormField>
        <FormField label="Search messages">
          {(control) => (
            <div className="relative mt-1">
              <Search aria-hidden className="pointer-events-none absolute left-2.5 top-1/2 size-4 -translate-y-1/2 text-slate-500" />
              <Input {...control} type="search" className="pl-8" placeholder="Text in the message" value={text} onChange={(e) => setText(e.target.value)} />
            </div>
          )}
        </FormField>
      </div>

      {logs.isPending ? (
        <Spinner label="Loading log" />
      ) : !logs.data ? (
        <ErrorNotice what="the log" error={logs.error} onRetry={() => void logs.refetch()} />
      ) : lines.length === 0 ? (
        <EmptyState className="rounded-md p-4">
          {filter.node || filter.q || level !== "debug" ? "No log lines match these filters." : "No log lines yet."}
        </EmptyState>
      ) : (
        <ol aria-label="Log lines" className={cn("divide-y divide-slate-100 rounded-md border border-slate-200 bg-white font-mono text-xs", logs.isPlaceholderData && "opacity-60")}>
          {lines.map((l) => (
            <li key={l.seq} className="flex flex-wrap items-baseline gap-x-3 gap-y-0.5 px-3 py-1.5" data-testid="log-line">
              <Time ms={l.at} className="shrink-0 tabular-nums text-slate-500">
                {formatClock(l.at)}
              </Time>
              <Badge className={cn("w-14 justify-center font-sans uppercase", levelStyle[l.level] ?? levelStyle.info)}>{l.level}</Badge>
              {l.node ? (
                onSelectNode ? (
                  <button
                    type="button"
                    className="shrink-0 rounded text-indigo-700 hover:underline focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
                    onClick={() => onSelectNode(l.node!.split("/").pop()!)}
                    title={`Show node ${l.node}`}
                  >
                    {l.node}
                  </button>
                ) : (
                  <span className="shrink-0 text-slate-700">{l.node}</span>
                )
              ) : null}
              <span className="min-w-0 flex-1 whitespace-pre-wrap break-words text-slate-900">{l.message}</span>
            </li>
          ))}
        </ol>
      )}
      <LoadMore query={logs} />
    </div>
  );
}
