// Every problem of a definition the gateway refused (422 `invalid_definition`), each with
// where it is (a JSON pointer), what is wrong and, when there is one, how to fix it.
import type { Problem } from "@/api/problem";

export function ProblemList({ problem }: { problem: Problem }) {
  const items = problem.problems ?? problem.errors?.map((e) => ({ pointer: e.pointer ?? e.field ?? "", message: e.message, hint: e.hint })) ?? [];
  return (
    <div role="alert" className="rounded-md border border-red-200 bg-red-50 p-3 text-sm text-red-900">
      <p className="font-medium">{problem.detail ?? problem.title}</p>
      {items.length > 0 && (
        <ul className="mt-2 space-y-1.5" aria-label="Problems">
          {items.map((p, i) => (
            <li key={i}>
              {p.pointer && <code className="mr-1.5 rounded bg-white px-1 py-0.5 font-mono text-xs text-red-800">{p.pointer}</code>}
              <span>{p.message}</span>
              {p.hint && <span className="block text-xs text-red-800">Hint: {p.hint}</span>}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
