// What an operator can do to a run: cancel it while it is unfinished, retry it from the
// failed node once it failed or timed out, and send a signal while it waits. Viewers see
// none of these (the gateway would refuse them); each shows why it failed without closing.
import { useId, useState, type FormEvent, type ReactNode } from "react";
import { Ban, RotateCcw, Send } from "lucide-react";
import { Button } from "@/components/ui/button";
import { Dialog, DialogActions, DialogContent } from "@/components/ui/dialog";
import { FormAlert, FormField } from "@/components/ui/form";
import { Input, Textarea } from "@/components/ui/input";
import { toast } from "@/components/ui/toast";
import { errorText, formErrors } from "@/features/auth/errors";
import { useCancelExecution, useRetryExecution, useSendSignal } from "./queries";
import type { AwaitedSignal } from "./runState";

/**
 * A dialog holding one form, whose mutation's failure is forgotten (`reset`) once it closes,
 * so it opens clean next time.
 */
function ActionDialog({
  open,
  onOpenChange,
  reset,
  title,
  description,
  onSubmit,
  noValidate,
  children,
}: {
  open: boolean;
  onOpenChange: (o: boolean) => void;
  reset: () => void;
  title: string;
  description: string;
  onSubmit: (e: FormEvent) => void;
  noValidate?: boolean;
  children: ReactNode;
}) {
  return (
    <Dialog
      open={open}
      onOpenChange={(o) => {
        onOpenChange(o);
        if (!o) reset();
      }}
    >
      <DialogContent title={title} description={description}>
        <form onSubmit={onSubmit} className="space-y-3" noValidate={noValidate}>
          {children}
        </form>
      </DialogContent>
    </Dialog>
  );
}

function CancelDialog({ executionId, open, onOpenChange }: { executionId: string; open: boolean; onOpenChange: (o: boolean) => void }) {
  const [reason, setReason] = useState("");
  const cancel = useCancelExecution(executionId);
  const errors = formErrors(cancel.error, ["reason"] as const);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    cancel.mutate(reason, {
      onSuccess: () => {
        toast.info("Cancelling the execution…");
        onOpenChange(false);
        setReason("");
      },
    });
  };
  return (
    <ActionDialog
      open={open}
      onOpenChange={onOpenChange}
      reset={cancel.reset}
      title="Cancel this execution?"
      description="Running nodes are stopped and nothing further runs. This cannot be undone, but a cancelled execution can be started again from its workflow."
      onSubmit={submit}
    >
      <FormField label="Reason (optional)" error={errors.field.reason}>
        <Input className="mt-1" maxLength={1000} value={reason} onChange={(e) => setReason(e.target.value)} placeholder="Shown in the execution's log" />
      </FormField>
      <FormAlert>{errors.form}</FormAlert>
      <DialogActions
        className="pt-0"
        cancelLabel="Keep running"
        submitLabel="Cancel execution"
        pendingLabel="Cancelling…"
        pending={cancel.isPending}
        variant="destructive"
      />
    </ActionDialog>
  );
}

/** Parses the payload field: empty means no payload (`null`). */
export function parsePayload(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  if (!text.trim()) return { ok: true, value: null };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, message: `Not valid JSON: ${(e as Error).message}` };
  }
}

function SignalDialog({
  executionId,
  open,
  onOpenChange,
  initialName,
  awaiting,
}: {
  executionId: string;
  open: boolean;
  onOpenChange: (o: boolean) => void;
  initialName: string;
  awaiting: AwaitedSignal[];
}) {
  const uid = useId();
  const [name, setName] = useState(initialName);
  const [payload, setPayload] = useState("{}");
  const [payloadError, setPayloadError] = useState<string>();
  const send = useSendSignal(executionId);
  const errors = formErrors(send.error, ["name"] as const);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const parsed = parsePayload(payload);
    if (!parsed.ok) return setPayloadError(parsed.message);
    setPayloadError(undefined);
    send.mutate(
      { name: name.trim(), payload: parsed.value },
      {
        onSuccess: () => {
          toast.success(`Signal “${name.trim()}” sent`);
          onOpenChange(false);
        },
      },
    );
  };
  return (
    <ActionDialog
      open={open}
      onOpenChange={onOpenChange}
      reset={send.reset}
      title="Send a signal"
      description="A node waiting for this signal name continues with the payload as its output."
      onSubmit={submit}
      noValidate
    >
      <FormField label="Signal name" error={errors.field.name}>
        <Input className="mt-1" required maxLength={200} list={`${uid}-names`} value={name} onChange={(e) => setName(e.target.value)} />
      </FormField>
      <datalist id={`${uid}-names`}>
        {awaiting.map((a) => (
          <option key={a.node} value={a.name}>{`awaited by ${a.node}`}</option>
        ))}
      </datalist>
      <FormField label="Payload (JSON)" error={payloadError}>
        <Textarea className="mt-1 font-mono text-xs" rows={6} value={payload} onChange={(e) => setPayload(e.target.value)} spellCheck={false} />
      </FormField>
      <FormAlert>{errors.form}</FormAlert>
      <DialogActions className="pt-0" cancelLabel="Close" submitLabel="Send" pendingLabel="Sending…" pending={send.isPending} disabled={!name.trim()} />
    </ActionDialog>
  );
}

export interface SignalRequest {
  /** Bumped per request so the dialog reopens prefilled even with the same name. */
  key: number;
  name: string;
}

export function ExecutionActions({
  executionId,
  status,
  awaiting,
  signalRequest,
  onSignalRequest,
  onRetried,
}: {
  executionId: string;
  status: string;
  awaiting: AwaitedSignal[];
  /** A signal dialog someone asked for (e.g. from a waiting node's panel). */
  signalRequest: SignalRequest | null;
  onSignalRequest: (r: SignalRequest | null) => void;
  /** After a successful retry: the page follows the new events. */
  onRetried: () => void;
}) {
  const [cancelOpen, setCancelOpen] = useState(false);
  const retry = useRetryExecution(executionId);
  const active = status === "queued" || status === "running" || status === "waiting";
  const retryable = status === "failed" || status === "timed_out";
  const waiting = status === "waiting" || (active && awaiting.length > 0);

  const doRetry = () =>
    retry.mutate(undefined, {
      onSuccess: () => {
        toast.success("Retrying from the failed node");
        onRetried();
      },
      onError: (e) => toast.error(`Could not retry: ${errorText(e)}`),
    });

  return (
    <div className="flex flex-wrap items-center gap-2">
      {waiting && (
        <Button variant="secondary" onClick={() => onSignalRequest({ key: Date.now(), name: awaiting[0]?.name ?? "" })}>
          <Send aria-hidden /> Send signal
        </Button>
      )}
      {retryable && (
        <Button onClick={doRetry} disabled={retry.isPending}>
          <RotateCcw aria-hidden /> {retry.isPending ? "Retrying…" : "Retry"}
        </Button>
      )}
      {active && (
        <Button variant="destructive" onClick={() => setCancelOpen(true)}>
          <Ban aria-hidden /> Cancel execution
        </Button>
      )}
      <CancelDialog executionId={executionId} open={cancelOpen} onOpenChange={setCancelOpen} />
      {signalRequest && (
        <SignalDialog
          key={signalRequest.key}
          executionId={executionId}
          open
          onOpenChange={(o) => {
            if (!o) onSignalRequest(null);
          }}
          initialName={signalRequest.name}
          awaiting={awaiting}
        />
      )}
    </div>
  );
}
