// Says whether what is on screen updates by itself: live over the socket, or by polling
// while the socket is down.
import { cn } from "@/lib/cn";

export function LiveIndicator({ live, pollSeconds }: { live: boolean; pollSeconds: number }) {
  return (
    <span role="status" className="inline-flex items-center gap-1.5 text-xs text-slate-600" data-testid="live-indicator">
      <span aria-hidden className={cn("size-2 rounded-full", live ? "bg-emerald-500" : "bg-amber-500")} />
      {live ? "Live" : `Refreshing every ${pollSeconds} s`}
    </span>
  );
}
