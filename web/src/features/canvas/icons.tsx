// One icon per node type (falling back to its category), so a node is recognisable at a
// glance on the canvas, in the palette and in lists, without relying on colour.
import { createElement } from "react";
import {
  Box,
  Braces,
  Clock,
  Code,
  FileText,
  FolderOpen,
  Inbox,
  Mail,
  MessageSquare,
  MessagesSquare,
  Send,
  ShieldCheck,
  Sparkles,
  Table,
  Database,
  FileCode,
  GitFork,
  Globe,
  Hourglass,
  Merge,
  OctagonX,
  Play,
  Repeat,
  Repeat2,
  Reply,
  Route,
  ScrollText,
  Bell,
  Split,
  Webhook,
  Workflow,
  Wrench,
  Zap,
  type LucideIcon,
} from "lucide-react";

const byType: Record<string, LucideIcon> = {
  "trigger.manual": Play,
  "trigger.webhook": Webhook,
  "flow.if": Split,
  "flow.switch": Route,
  "flow.for_each": Repeat,
  "flow.while": Repeat2,
  "flow.merge": Merge,
  "flow.wait": Hourglass,
  "flow.signal": Bell,
  "flow.fail": OctagonX,
  "flow.call": Workflow,
  "data.set": Braces,
  "data.transform": FileCode,
  "http.request": Globe,
  "http.respond": Reply,
  "util.log": ScrollText,
  "trigger.schedule": Clock,
  "trigger.amqp": Inbox,
  "data.validate": ShieldCheck,
  "data.template": FileText,
  "data.csv": Table,
  "email.send": Mail,
  "sms.send": MessageSquare,
  "chat.webhook": MessagesSquare,
  "code.javascript": Code,
  "ai.chat": Sparkles,
};

const byCategory: Record<string, LucideIcon> = {
  trigger: Zap,
  flow: GitFork,
  data: Database,
  http: Globe,
  util: Wrench,
  db: Database,
  messaging: Send,
  amqp: Send,
  mqtt: Send,
  nats: Send,
  notify: Mail,
  email: Mail,
  sms: MessageSquare,
  chat: MessagesSquare,
  file: FolderOpen,
  code: Code,
  ai: Sparkles,
};

export function iconFor(type: string, category?: string): LucideIcon {
  return byType[type] ?? byCategory[category ?? type.split(".")[0]] ?? Box;
}

/** The icon of a node type, as an element (a stable component picked from a static table). */
export function NodeTypeIcon({ type, category, className }: { type: string; category?: string; className?: string }) {
  return createElement(iconFor(type, category), { className, "aria-hidden": true });
}

/** Accent per category (icon tile background/foreground), AA against white text or tile. */
export const categoryAccent: Record<string, string> = {
  trigger: "bg-violet-100 text-violet-800",
  flow: "bg-sky-100 text-sky-800",
  data: "bg-emerald-100 text-emerald-800",
  http: "bg-amber-100 text-amber-900",
  util: "bg-slate-200 text-slate-800",
  db: "bg-teal-100 text-teal-900",
  messaging: "bg-orange-100 text-orange-900",
  notify: "bg-rose-100 text-rose-900",
  file: "bg-stone-200 text-stone-800",
  code: "bg-indigo-100 text-indigo-900",
  ai: "bg-fuchsia-100 text-fuchsia-900",
};

export function accentFor(category?: string): string {
  return categoryAccent[category ?? ""] ?? "bg-slate-200 text-slate-800";
}
