import { createScheduler, type Logger, type Scheduler, type SchedulerOptions } from "@sched/core";
import {
  type AuditEntry,
  createHttpHandler,
  type HttpHandler,
  type HttpHandlerOptions,
} from "../src/index.js";

/** A write token and a read token of the tests. */
export const WRITE_TOKEN = "write-token-0123456789abcdef";
export const READ_TOKEN = "read-token-0123456789abcdef";

export const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** The dashboard's files, as the tests inject them. */
export const FAKE_ASSETS = new Map([
  [
    "/index.html",
    {
      body: new TextEncoder().encode("<!doctype html><title>dash</title>"),
      type: "text/html; charset=utf-8",
    },
  ],
  [
    "/assets/app.js",
    { body: new TextEncoder().encode("console.log(1)"), type: "text/javascript; charset=utf-8" },
  ],
]);

/** A handler over `scheduler` with a write token named `ops` and a read token; audit entries go to `audit`. */
export function handlerFor(
  scheduler: Scheduler,
  options: Partial<HttpHandlerOptions> = {},
  audit: AuditEntry[] = [],
): HttpHandler {
  return createHttpHandler({
    scheduler,
    auth: { tokens: { [WRITE_TOKEN]: { role: "write", name: "ops" }, [READ_TOKEN]: "read" } },
    audit: (entry) => audit.push(entry),
    assets: FAKE_ASSETS,
    ...options,
  });
}

/** A JSON answer as the tests read it: any shape, checked by the assertions. */
// biome-ignore lint/suspicious/noExplicitAny: answers are read field by field and checked by the assertions
export type Json = any;

export interface CallOptions {
  token?: string | null;
  body?: unknown;
  rawBody?: NonNullable<RequestInit["body"]>;
  headers?: Record<string, string>;
}

/** Sends one request; the write token unless `token` says otherwise (`null`: none). */
export async function call(
  handler: HttpHandler,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<{ status: number; headers: Headers; body: Json }> {
  const headers: Record<string, string> = { ...options.headers };
  const token = options.token === undefined ? WRITE_TOKEN : options.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body: NonNullable<RequestInit["body"]> | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["content-type"] ??= "application/json";
  }
  const response = await handler(
    new Request(`http://localhost${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body, duplex: "half" }),
    } as RequestInit),
  );
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON: kept as text.
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

/** A started scheduler on the memory store (or `options.store`), with a few handlers. */
export async function startedScheduler(options: SchedulerOptions = {}): Promise<Scheduler> {
  const scheduler = createScheduler({ logger: quiet, pollInterval: "50ms", ...options });
  await scheduler.start();
  return scheduler;
}

/** Waits until `check` returns true (polling every 20 ms, up to 10 s). */
export async function until(check: () => boolean | Promise<boolean>, what = "the condition"): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
