// The page's only way to the server: JSON requests under `api/`, relative to the page, so the
// dashboard works under any base path. The token lives in sessionStorage (gone with the tab).
import type { Job, JobPage, Overview, Queue, Schedule, Session, ThroughputPoint } from "./wire.js";

const TOKEN_KEY = "sched.dashboard.token";

/** Dispatched on `window` when the API refuses the stored token. */
export const UNAUTHORIZED_EVENT = "sched:unauthorized";

/** An answer of the API other than 2xx, with the server's `{ error: { code, message } }`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** The token kept for this tab, or `null`. */
export function storedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

/** Keeps the token for this tab, or forgets it with `null`. */
export function storeToken(token: string | null): void {
  if (token === null) sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, token);
}

type Query = Record<string, string | number | null | undefined>;

async function request<T>(method: string, path: string, body?: unknown, token = storedToken()): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(new URL(`api/${path}`, document.baseURI), {
    method,
    headers,
    body: body === undefined ? null : JSON.stringify(body),
    cache: "no-store",
  });
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text === "" ? null : JSON.parse(text);
  } catch {
    parsed = null;
  }
  if (!response.ok) {
    // A token that stopped working (revoked, or the server restarted with others) signs the tab out.
    if (response.status === 401 && token !== null && token === storedToken()) {
      window.dispatchEvent(new Event(UNAUTHORIZED_EVENT));
    }
    const error = (parsed as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ApiError(
      response.status,
      error?.code ?? `HTTP_${response.status}`,
      error?.message ?? `${method} ${path} answered ${response.status}`,
    );
  }
  return parsed as T;
}

function withQuery(path: string, query: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const text = params.toString();
  return text === "" ? path : `${path}?${text}`;
}

const segment = encodeURIComponent;

/** Filter of the job list and the bulk actions. */
export interface JobQuery {
  queue?: string;
  name?: string;
  status?: string;
  limit?: number;
  cursor?: string | null;
  order?: "asc" | "desc";
}

/** The API calls the pages make. */
export const api = {
  session: (token?: string) => request<Session>("GET", "session", undefined, token ?? storedToken()),
  overview: () => request<Overview>("GET", "overview"),
  throughput: (since: Date, queue?: string) =>
    request<ThroughputPoint[]>("GET", withQuery("throughput", { since: since.toISOString(), queue })),
  queue: (name: string) => request<Queue>("GET", `queues/${segment(name)}`),
  pauseQueue: (name: string) => request<unknown>("POST", `queues/${segment(name)}/pause`),
  resumeQueue: (name: string) => request<unknown>("POST", `queues/${segment(name)}/resume`),
  configureQueue: (name: string, config: unknown) =>
    request<Queue>("PATCH", `queues/${segment(name)}`, config),
  // List views show no payload: the page is fetched without them (they may be large).
  jobs: (query: JobQuery) => request<JobPage>("GET", withQuery("jobs", { ...query, payloads: "hide" })),
  job: (id: string) => request<Job>("GET", `jobs/${segment(id)}`),
  jobAction: (id: string, action: "retry" | "cancel" | "promote") =>
    request<unknown>("POST", `jobs/${segment(id)}/${action}`),
  deleteJob: (id: string) => request<unknown>("DELETE", `jobs/${segment(id)}`),
  retryJobs: (filter: JobQuery) => request<{ count: number }>("POST", "jobs/retry", filter),
  deleteJobs: (filter: JobQuery) => request<{ count: number }>("POST", "jobs/delete", filter),
  schedules: () => request<Schedule[]>("GET", "schedules"),
  schedule: (name: string, preview: number) =>
    request<Schedule>("GET", withQuery(`schedules/${segment(name)}`, { preview })),
  scheduleAction: (name: string, action: "pause" | "resume" | "trigger") =>
    request<unknown>("POST", `schedules/${segment(name)}/${action}`),
};
