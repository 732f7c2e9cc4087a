// RFC 9457 problem documents, as every gateway error is one.
export interface Problem {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  code?: string;
  field?: string;
  errors?: { pointer?: string; field?: string; message: string; hint?: string }[];
  /** Every problem of an invalid definition (code `invalid_definition`), as the gateway sends them. */
  problems?: { pointer: string; message: string; hint?: string }[];
  /** Seconds, from the `Retry-After` header of a 429. */
  retry_after?: number;
  [k: string]: unknown;
}

export class ApiError extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail ?? problem.title);
    this.name = "ApiError";
    this.problem = problem;
  }
  get status() {
    return this.problem.status;
  }
}

/**
 * The problem in an already-parsed error body (openapi-fetch reads the body before the
 * caller sees the response, so it cannot be read twice), with the response's status and
 * Retry-After filled in.
 */
export function problemFromBody(body: unknown, res: Response): Problem {
  const base: Problem =
    body && typeof body === "object" && "title" in body
      ? { ...(body as Problem) }
      : { title: res.statusText || "Request failed", status: res.status };
  base.status ??= res.status;
  const retry = Number(res.headers.get("retry-after"));
  if (retry > 0 && base.retry_after === undefined) base.retry_after = retry;
  return base;
}

export async function problemFrom(res: Response): Promise<Problem> {
  let body: unknown;
  try {
    body = await res.clone().json();
  } catch {
    /* not JSON, or the body was already read */
  }
  return problemFromBody(body, res);
}
