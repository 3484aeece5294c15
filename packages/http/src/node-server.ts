import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { getRequestListener } from "@hono/node-server";
import { ConfigError, type Duration, parseDuration } from "@sched/core";
import { describeValue, readOptions } from "@sched/core/adapter";
import type { HttpHandler } from "./handler.js";

/** The longest `closeTimeout` (ms): the longest wait one Node.js timer takes. */
const MAX_CLOSE_TIMEOUT_MS = 2_147_483_647;

/** Options of {@link serve}. */
export interface ServeOptions {
  /** The TCP port (default 3000; `0` picks a free one). */
  port?: number;
  /** The interface to listen on (default `127.0.0.1`: this machine only; `0.0.0.0` for all). */
  host?: string;
  /**
   * How long `close()` lets requests in flight finish: ms, or a duration string such as `"30s"`
   * (default 10,000 ms). Their actions complete and are answered (and audited) before the server
   * closes; past it their connections are cut, and `close()` still waits for their handlers to
   * return. At most 2,147,483,647 ms (about 24.8 days).
   */
  closeTimeout?: Duration;
}

/** A server started by {@link serve}. */
export interface RunningServer {
  /** The address it answers at, such as `http://127.0.0.1:3000`. */
  url: string;
  /** The port it listens on. */
  port: number;
  /**
   * Stops listening, lets requests in flight finish (up to `closeTimeout`), then closes every
   * connection; resolves once the server is closed and no handler runs any more. Idempotent: a
   * later call returns the same promise.
   */
  close(): Promise<void>;
}

/**
 * A Node `(req, res)` listener for `handler`, for `node:http`, Express, Connect or Fastify (with
 * `reply.hijack()`): it turns the incoming message into a `Request` and writes the `Response`
 * back. Node's global `Request` and `Response` are left as they are. Under Express's
 * `app.use("/path", …)` the full URL (`req.originalUrl`) is used, so give the handler
 * `basePath: "/path"`.
 *
 * Mount it before any body parser (`express.json()`, `bodyParser`): a request whose body a
 * middleware already read is answered 500 `BODY_ALREADY_READ` and changes nothing, rather than
 * being taken as a request without a body. A request whose path has a `.` or `..` segment
 * (also `%2e`) is answered 400 `INVALID_PATH`: the `Request`'s URL would have it resolved, and
 * reach another route than the one the path names.
 *
 * @throws ConfigError (`CONFIG_INVALID`) naming `handler` when it is not a function.
 */
export function toNodeListener(
  handler: HttpHandler,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  if (typeof handler !== "function") {
    throw new ConfigError(
      "handler",
      `expected the handler of createHttpHandler(), got ${handler === null ? "null" : typeof handler}`,
    );
  }
  const listener = getRequestListener(handler, { overrideGlobalObjects: false });
  return async (req, res) => {
    // Express strips the mount path from `req.url` and keeps the full one here.
    const original = (req as IncomingMessage & { originalUrl?: unknown }).originalUrl;
    if (typeof original === "string") req.url = original;
    if (hasDotSegment(req.url ?? "/")) {
      // The Request's URL resolves them: `/api/jobs/x/../../queues/q/pause` would reach another
      // route than the one a proxy in front saw (it may allow paths by prefix).
      answerError(
        res,
        400,
        "INVALID_PATH",
        "the path has a . or .. segment; send the path of the route itself",
      );
      return;
    }
    if (bodyAlreadyRead(req)) {
      answerError(
        res,
        500,
        "BODY_ALREADY_READ",
        "the request body was read by a middleware mounted before @sched/http (a body parser such as express.json()); mount the handler before it",
      );
      return;
    }
    return listener(req, res);
  };
}

/** Writes the API's JSON error `{ error: { code, message } }` with `status`. */
function answerError(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  res.end(JSON.stringify({ error: { code, message } }));
}

/** A `.` or `..` segment in the path of a request target, written plainly or percent-encoded (`%2e`). */
const DOT_SEGMENT = /(?:^|\/)(?:\.|%2e){1,2}(?:\/|$)/i;

/** Whether the path of `target` (a request's `url`, before any `?`) has a dot segment. */
function hasDotSegment(target: string): boolean {
  const end = target.search(/[?#]/);
  return DOT_SEGMENT.test(end === -1 ? target : target.slice(0, end));
}

/** Whether `req` declares a body that something already consumed from its stream. */
function bodyAlreadyRead(req: IncomingMessage): boolean {
  const length = req.headers["content-length"];
  const declared = (length !== undefined && length !== "0") || req.headers["transfer-encoding"] !== undefined;
  return declared && req.readableEnded;
}

/**
 * Serves `handler` on its own Node HTTP server (what `sched serve` runs). Resolves once it
 * listens.
 *
 * @throws ConfigError (`CONFIG_INVALID`) for a handler that is not one, an unknown option, or a bad
 *   port, host or closeTimeout; the listen error (such as
 *   `EADDRINUSE`) when the port is taken.
 */
export async function serve(handler: HttpHandler, given: ServeOptions = {}): Promise<RunningServer> {
  // Read once: a getter or proxy that throws is a ConfigError, and the checks see what is kept.
  const options = readOptions(given, "", "option");
  if (typeof handler !== "function") {
    throw new ConfigError(
      "handler",
      `expected the handler of createHttpHandler(), got ${handler === null ? "null" : typeof handler}`,
    );
  }
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new ConfigError("options", "expected { port?, host?, closeTimeout? }");
  }
  const unknown = Object.keys(options).filter((key) => !["port", "host", "closeTimeout"].includes(key));
  if (unknown.length > 0) {
    throw new ConfigError(
      unknown[0] as string,
      "is not an option of serve(); expected port, host or closeTimeout",
    );
  }
  const port = options.port ?? 3000;
  const host = options.host ?? "127.0.0.1";
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new ConfigError("port", `expected an integer from 0 to 65535, got ${describeValue(port)}`);
  if (typeof host !== "string" || host.length === 0)
    throw new ConfigError("host", "expected a host name or address");
  const closeTimeout = closeTimeoutOf(options.closeTimeout);
  // Handlers in flight, so that close() can wait for them: a request answered after the server
  // was told to close has still done its work (and written its audit entry).
  const running = new Set<Promise<Response>>();
  const tracked: HttpHandler = (request) => {
    const answer = handler(request);
    running.add(answer);
    const forget = () => running.delete(answer);
    answer.then(forget, forget);
    return answer;
  };
  const server = createServer(toNodeListener(tracked));
  // Responses not yet written out: a handler that returned has not necessarily been answered.
  const answering = new Set<Promise<void>>();
  server.on("request", (_req: IncomingMessage, res: ServerResponse) => {
    const done = new Promise<void>((resolve) => res.once("close", () => resolve()));
    answering.add(done);
    done.then(() => answering.delete(done));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  let closing: Promise<void> | null = null;
  const address = server.address() as AddressInfo;
  const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}`,
    port: address.port,
    close: () => {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve, reject) => {
          server.close((err) => (err ? reject(err) : resolve()));
        });
        server.closeIdleConnections();
        await settledWithin([...answering, ...running], closeTimeout);
        server.closeAllConnections();
        await closed;
        // Handlers whose connections were cut still finish their action.
        await Promise.allSettled([...running]);
      })();
      return closing;
    },
  };
}

/**
 * `closeTimeout` in ms: default 10,000; a duration at most one Node.js timer's longest wait (a
 * longer one would fire at once).
 */
function closeTimeoutOf(value: Duration | undefined): number {
  const expected = `expected ms or a duration string ("30s") from 0 to ${MAX_CLOSE_TIMEOUT_MS} ms`;
  if (value === undefined) return 10_000;
  let ms: number;
  try {
    ms = parseDuration(value, "closeTimeout");
  } catch {
    throw new ConfigError("closeTimeout", `${expected}, got ${describeValue(value)}`);
  }
  if (!Number.isInteger(ms) || ms > MAX_CLOSE_TIMEOUT_MS)
    throw new ConfigError("closeTimeout", `${expected}, got ${describeValue(value)}`);
  return ms;
}

/** Resolves when every promise of `promises` has settled, or after `ms`, whichever comes first. */
async function settledWithin(promises: readonly Promise<unknown>[], ms: number): Promise<void> {
  if (promises.length === 0) return;
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    Promise.allSettled(promises),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}
