// What an operator can do to a run: cancel it while it is unfinished, retry it from the
// failed node once it failed or timed out, and send a signal while it waits. Viewers see
// none of these (the gateway would refuse them); each shows why it failed without closing.
import { useId, useState, type FormEvent } from "react";
import { Ban, RotateCcw, Send } from "lucide-react";
import { Button } from "@/components/ui/button";
import { Dialog, DialogClose, DialogContent } from "@/components/ui/dialog";
import { FieldError, Input, Label, Textarea } from "@/components/ui/input";
import { toast } from "@/components/ui/toast";
import { errorText, formErrors } from "@/features/auth/errors";
import { useCancelExecution, useRetryExecution, useSendSignal } from "./queries";
import type { AwaitedSignal } from "./runState";

function FormAlert({ children }: { children?: string }) {
  if (!children) return null;
  return (
    <p role="alert" className="rounded-md border border-red-200 bg-red-50 p-2 text-sm text-red-800">
      {children}
    </p>
  );
}

function CancelDialog({ executionId, open, onOpenChange }: { executionId: string; open: boolean; onOpenChange: (o: boolean) => void }) {
  const uid = useId();
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
    <Dialog
      open={open}
      onOpenChange={(o) => {
        onOpenChange(o);
        if (!o) cancel.reset();
      }}
    >
      <DialogContent title="Cancel this execution?" description="Running nodes are stopped and nothing further runs. This cannot be undone, but a cancelled execution can be started again from its workflow.">
        <form onSubmit={submit} className="space-y-3">
          <div>
            <Label htmlFor={`${uid}-reason`}>Reason (optional)</Label>
            <Input
              id={`${uid}-reason`}
              className="mt-1"
              maxLength={1000}
              value={reason}
              onChange={(e) => setReason(e.target.value)}
              placeholder="Shown in the execution's log"
              aria-invalid={!!errors.field.reason}
              aria-describedby={errors.field.reason ? `${uid}-reason-error` : undefined}
            />
            <FieldError id={`${uid}-reason-error`}>{errors.field.reason}</FieldError>
          </div>
          <FormAlert>{errors.form}</FormAlert>
          <div className="flex justify-end gap-2">
            <DialogClose asChild>
              <Button variant="secondary">Keep running</Button>
            </DialogClose>
            <Button type="submit" variant="destructive" disabled={cancel.isPending}>
              {cancel.isPending ? "Cancelling…" : "Cancel execution"}
            </Button>
          </div>
        </form>
      </DialogContent>
    </Dialog>
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
    <Dialog
      open={open}
      onOpenChange={(o) => {
        onOpenChange(o);
        if (!o) send.reset();
      }}
    >
      <DialogContent title="Send a signal" description="A node waiting for this signal name continues with the payload as its output.">
        <form onSubmit={submit} className="space-y-3" noValidate>
          <div>
            <Label htmlFor={`${uid}-name`}>Signal name</Label>
            <Input
              id={`${uid}-name`}
              className="mt-1"
              required
              maxLength={200}
              list={`${uid}-names`}
              value={name}
              onChange={(e) => setName(e.target.value)}
              aria-invalid={!!errors.field.name}
              aria-describedby={errors.field.name ? `${uid}-name-error` : undefined}
            />
            <datalist id={`${uid}-names`}>
              {awaiting.map((a) => (
                <option key={a.node} value={a.name}>{`awaited by ${a.node}`}</option>
              ))}
            </datalist>
            <FieldError id={`${uid}-name-error`}>{errors.field.name}</FieldError>
          </div>
          <div>
            <Label htmlFor={`${uid}-payload`}>Payload (JSON)</Label>
            <Textarea
              id={`${uid}-payload`}
              className="mt-1 font-mono text-xs"
              rows={6}
              value={payload}
              onChange={(e) => setPayload(e.target.value)}
              spellCheck={false}
              aria-invalid={!!payloadError}
              aria-describedby={payloadError ? `${uid}-payload-error` : undefined}
            />
            <FieldError id={`${uid}-payload-error`}>{payloadError}</FieldError>
          </div>
          <FormAlert>{errors.form}</FormAlert>
          <div className="flex justify-end gap-2">
            <DialogClose asChild>
              <Button variant="secondary">Close</Button>
            </DialogClose>
            <Button type="submit" disabled={send.isPending || !name.trim()}>
              {send.isPending ? "Sending…" : "Send"}
            </Button>
          </div>
        </form>
      </DialogContent>
    </Dialog>
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
