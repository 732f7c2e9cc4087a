// RFC 9457 problem documents, as every gateway error is one.
export interface Problem {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  code?: string;
  field?: string;
  errors?: { pointer?: string; field?: string; message: string; hint?: string }[];
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

export async function problemFrom(res: Response): Promise<Problem> {
  try {
    const body = await res.clone().json();
    if (body && typeof body === "object" && "title" in body) return body as Problem;
  } catch {
    /* not JSON */
  }
  return { title: res.statusText || "Request failed", status: res.status };
}
