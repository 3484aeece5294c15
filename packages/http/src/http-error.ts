import { SchedulerError } from "@sched/core";

/**
 * A request the API refuses, with the HTTP status and a stable `code` that the JSON error body
 * carries (`{ error: { code, message } }`).
 */
export class HttpError extends Error {
  /** The HTTP status, 4xx or 5xx. */
  readonly status: number;
  /** A stable, machine-readable code such as `INVALID_QUERY`. */
  readonly code: string;
  /** Headers the response carries (such as `Allow` on a 405). */
  readonly headers: Record<string, string>;

  /** Creates the error; `message` names the bad input and what to send instead. */
  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

/** The HTTP status of each scheduler error code a request can cause. */
const STATUS_OF_CODE: Record<string, number> = {
  INVALID_ARGUMENT: 400,
  INVALID_SCHEDULE: 400,
  CONFIG_INVALID: 400,
  PAYLOAD_TOO_LARGE: 413,
  JOB_NOT_FOUND: 404,
  SCHEDULE_NOT_FOUND: 404,
  JOB_ALREADY_EXISTS: 409,
  INVALID_JOB_STATE: 409,
  NOT_LEADER: 409,
  SHUTTING_DOWN: 503,
  STORE_CLOSED: 503,
  STORE_TIMEOUT: 503,
  STORE_ERROR: 503,
  STORE_STATE_LOST: 503,
  MIGRATION_REQUIRED: 503,
};

/** What a 503 says, by code: never the store's own message, which may name its address. */
const UNAVAILABLE_MESSAGE: Record<string, string> = {
  MIGRATION_REQUIRED: "the scheduler's store is not migrated; run `sched migrate` (or the store's migrate())",
};

/**
 * The error response for anything a route threw. Scheduler errors keep their code and message
 * (they name the bad input, never a secret); an error of unknown kind is a 500 whose message says
 * nothing of its cause, since it may hold connection details.
 */
export function errorResponse(err: unknown): Response {
  if (err instanceof HttpError) return jsonError(err.status, err.code, err.message, err.headers);
  if (err instanceof SchedulerError) {
    const status = STATUS_OF_CODE[err.code];
    if (status !== undefined) {
      // A store failure's message may name the backend's address; the code says enough.
      const message =
        status === 503
          ? (UNAVAILABLE_MESSAGE[err.code] ?? "the scheduler's store is unavailable; try again later")
          : err.message;
      return jsonError(status, err.code, message);
    }
  }
  return jsonError(500, "INTERNAL_ERROR", "the request failed on the server");
}

/** A JSON error response `{ error: { code, message } }`. */
export function jsonError(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify({ error: { code, message } }), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}
