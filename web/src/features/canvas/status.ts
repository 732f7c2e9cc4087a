// How a node's run status looks: a colour and an icon and a word, so the state reads
// without colour vision. Shared by the canvas nodes and the minimap.
import { CircleCheck, CircleMinus, CircleX, Clock, Hourglass, LoaderCircle, type LucideIcon } from "lucide-react";
import type { NodeRunStatus } from "./types";

export interface StatusLook {
  label: string;
  icon: LucideIcon;
  /** Node border and tint. */
  node: string;
  /** Text/icon colour of the status line (AA on white). */
  text: string;
  /** Minimap fill. */
  fill: string;
  spin?: boolean;
}

export const statusLook: Record<NodeRunStatus, StatusLook> = {
  queued: { label: "Queued", icon: Clock, node: "border-slate-400 bg-slate-50", text: "text-slate-700", fill: "#cbd5e1" },
  running: { label: "Running", icon: LoaderCircle, node: "border-blue-500 bg-blue-50", text: "text-blue-800", fill: "#3b82f6", spin: true },
  waiting: { label: "Waiting", icon: Hourglass, node: "border-amber-500 bg-amber-50", text: "text-amber-900", fill: "#f59e0b" },
  succeeded: { label: "Succeeded", icon: CircleCheck, node: "border-emerald-500 bg-emerald-50", text: "text-emerald-800", fill: "#10b981" },
  failed: { label: "Failed", icon: CircleX, node: "border-red-500 bg-red-50", text: "text-red-800", fill: "#ef4444" },
  skipped: { label: "Skipped", icon: CircleMinus, node: "border-slate-300 border-dashed bg-white", text: "text-slate-600", fill: "#e2e8f0" },
};
