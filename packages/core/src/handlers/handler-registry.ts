import { InvalidArgumentError } from "../errors.js";
import type { Handler, HandlerFn } from "../jobs/handler.js";
import { chain } from "../middleware/chain.js";
import type { Middleware } from "../middleware/middleware.js";
import { type RetryOptions, type RetryPolicy, toRetryPolicy } from "../retry/retry.js";
import { type Duration, parseTimeout } from "../time/duration.js";
import { assertKnownFields } from "../validation/option-names.js";
import { readSafely } from "../validation/payload.js";
import { describeValue } from "../validation/text.js";

/** Options of `register`: defaults for jobs of this name. */
export interface HandlerOptions {
  /** Retries after the first failure for jobs of this name that set none. */
  maxRetries?: number;
  /** Timeout for jobs of this name that set none. */
  timeout?: Duration;
  /** Backoff for this handler's retries (its `maxAttempts` gives the default `maxRetries`). */
  retry?: RetryOptions | RetryPolicy;
  /** Queue for jobs of this name enqueued without one. */
  queue?: string;
  /** Priority for jobs of this name enqueued without one. */
  priority?: number;
}

/** Every option of {@link HandlerOptions}. */
const HANDLER_OPTION_FIELDS = [
  "maxRetries",
  "timeout",
  "retry",
  "queue",
  "priority",
] as const satisfies ReadonlyArray<keyof HandlerOptions>;

/** A registered handler with its resolved defaults. */
export interface RegisteredHandler {
  readonly name: string;
  /** The handler as it was given to `register` or `schedule`. */
  readonly given: HandlerFn | Handler;
  readonly fn: HandlerFn;
  /** The handler wrapped in the scheduler's middleware; rebuilt when middleware is added. */
  composed: HandlerFn;
  readonly maxRetries: number | undefined;
  readonly timeout: number | undefined;
  readonly retry: RetryPolicy | undefined;
  readonly queue: string | undefined;
  readonly priority: number | undefined;
}

/** Handlers by job name, and the middleware wrapped around each. */
export class HandlerRegistry {
  private readonly handlers = new Map<string, RegisteredHandler>();
  private readonly middleware: Middleware[] = [];
  /** The registered names, rebuilt only when a new name is registered. */
  private namesCache: readonly string[] = [];

  constructor(
    /** Called when a name's handler is replaced by another one (not when the same is given again). */
    private readonly onReplace: (name: string) => void = () => {},
  ) {}

  /** Registers (or replaces) the handler of `name`. */
  register(name: string, handler: HandlerFn | Handler, options: HandlerOptions = {}): RegisteredHandler {
    let fn: HandlerFn | undefined;
    // A getter or proxy that throws while the handler is checked is the caller's bad argument.
    readSafely("handler", () => {
      if (typeof handler === "function") fn = handler;
      else if (handler && typeof handler.handle === "function") fn = (job, ctx) => handler.handle(job, ctx);
      else
        throw new InvalidArgumentError(
          "handler",
          `expected a function or an object with handle(), got ${typeof handler}`,
        );
    });
    assertKnownFields(options, HANDLER_OPTION_FIELDS, "options", {
      shape: "an object of handler options, or nothing",
    });
    const { maxRetries, priority } = options;
    // The ranges a job takes: defaults out of them would fail every later enqueue instead.
    if (maxRetries !== undefined && (!Number.isInteger(maxRetries) || maxRetries < 0 || maxRetries > 1000)) {
      throw new InvalidArgumentError(
        "maxRetries",
        `expected an integer from 0 to 1000, got ${describeValue(maxRetries)}`,
      );
    }
    if (priority !== undefined && (!Number.isInteger(priority) || Math.abs(priority) > 2 ** 31 - 1)) {
      throw new InvalidArgumentError(
        "priority",
        `expected an integer from -${2 ** 31 - 1} to ${2 ** 31 - 1}, got ${describeValue(priority)}`,
      );
    }
    const checkedFn = fn as HandlerFn;
    const entry: RegisteredHandler = {
      name,
      given: handler,
      fn: checkedFn,
      composed: this.compose(checkedFn),
      maxRetries,
      timeout: options.timeout === undefined ? undefined : parseTimeout(options.timeout, "timeout"),
      retry: options.retry === undefined ? undefined : toRetryPolicy(options.retry),
      queue: options.queue,
      priority,
    };
    const previous = this.handlers.get(name);
    const isNew = previous === undefined;
    this.handlers.set(name, entry);
    if (previous !== undefined && previous.given !== handler) this.onReplace(name);
    if (isNew) this.namesCache = [...this.handlers.keys()];
    return entry;
  }

  /** Every registered name: the job names this instance can run (claims ask for exactly these). */
  names(): readonly string[] {
    return this.namesCache;
  }

  /** The handler of `name`, if registered. */
  get(name: string): RegisteredHandler | undefined {
    return this.handlers.get(name);
  }

  /** Whether `name` has a handler. */
  has(name: string): boolean {
    return this.handlers.has(name);
  }

  /** Adds middleware around every handler, present and future. */
  use(middleware: Middleware[]): void {
    for (const mw of middleware) {
      if (typeof mw !== "function") {
        throw new InvalidArgumentError(
          "middleware",
          `expected a function (next) => handler, got ${typeof mw}`,
        );
      }
    }
    this.middleware.push(...middleware);
    for (const entry of this.handlers.values()) entry.composed = this.compose(entry.fn);
  }

  private compose(fn: HandlerFn): HandlerFn {
    return this.middleware.length === 0 ? fn : chain(...this.middleware)(fn);
  }
}
