// The keyboard help (press ?): generated from the same table the key handler uses.
import { Dialog, DialogContent } from "@/components/ui/dialog";
import { GESTURES, SHORTCUTS } from "./shortcuts";

function Keys({ combos }: { combos: string[][] }) {
  return (
    <span className="flex flex-wrap justify-end gap-1.5">
      {combos.map((combo, i) => (
        <span key={i} className="inline-flex items-center gap-0.5">
          {i > 0 && <span className="mr-1 text-xs text-slate-500">or</span>}
          {combo.map((k) => (
            <kbd key={k} className="rounded border border-slate-300 bg-slate-50 px-1.5 py-0.5 font-mono text-xs text-slate-800">
              {k}
            </kbd>
          ))}
        </span>
      ))}
    </span>
  );
}

export function ShortcutsDialog({ open, onOpenChange }: { open: boolean; onOpenChange: (o: boolean) => void }) {
  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent title="Keyboard shortcuts" description="They work while focus is on the canvas, not while typing in a field.">
        <table className="w-full text-sm">
          <tbody>
            {[...SHORTCUTS, ...GESTURES].map((s) => (
              <tr key={s.label} className="border-b border-slate-100 last:border-0">
                <th scope="row" className="py-1.5 pr-3 text-left font-normal text-slate-800">
                  {s.label}
                </th>
                <td className="py-1.5">
                  <Keys combos={s.keys} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </DialogContent>
    </Dialog>
  );
}
