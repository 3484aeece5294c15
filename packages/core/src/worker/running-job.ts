import type { JobContext } from "../jobs/handler.js";
import type { Job } from "../jobs/job.js";
import type { Logger } from "../logger/logger.js";
import type { JobRef } from "../store/store.js";

/** A logger that adds the job's id and name to every line. */
class JobLogger implements Logger {
  constructor(
    private readonly base: Logger,
    private readonly job: Job,
  ) {}
  /** Printed or serialised (`console.log(ctx)`, `JSON.stringify(ctx)`), it shows no job: payloads may be secret. */
  toJSON(): string {
    return "[job logger]";
  }
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return "[job logger]";
  }
  private fields(extra?: Record<string, unknown>): Record<string, unknown> {
    return { jobId: this.job.id, name: this.job.name, ...extra };
  }
  debug(message: string, fields?: Record<string, unknown>): void {
    this.base.debug(message, this.fields(fields));
  }
  info(message: string, fields?: Record<string, unknown>): void {
    this.base.info(message, this.fields(fields));
  }
  warn(message: string, fields?: Record<string, unknown>): void {
    this.base.warn(message, this.fields(fields));
  }
  error(message: string, fields?: Record<string, unknown>): void {
    this.base.error(message, this.fields(fields));
  }
}

/** A context's fields: what the handler and middleware read and assign. */
interface ContextState {
  running: RunningJob;
  base: Logger;
  /** What middleware assigned to `signal`, else null (the attempt's own signal, made on first read). */
  signal: AbortSignal | null;
  /** The job's logger once made or assigned, else null. */
  logger: Logger | null;
  attempt: number;
  heartbeat: () => Promise<void>;
}

const INSPECT = Symbol.for("nodejs.util.inspect.custom");
/** Reads a context's target through its proxy (for this module only). */
const TARGET = Symbol("contextTarget");

/**
 * What a context proxies: fields middleware adds land on it, its own fields are kept out of sight
 * (a private field: not listed, spread or printed).
 */
class ContextTarget {
  readonly #state: ContextState;
  constructor(state: ContextState) {
    this.#state = state;
  }
  static stateOf(target: ContextTarget): ContextState {
    return target.#state;
  }
  /** What `console.log(ctx)` shows: its fields (the job it runs, whose payload may be secret, is left out). */
  static describe(target: ContextTarget): Record<string, unknown> {
    const state = target.#state;
    return {
      signal: readField(state, "signal"),
      attempt: readField(state, "attempt"),
      // Not made here: printing a context does not make its logger.
      logger: state.logger ?? "[job logger]",
      heartbeat: readField(state, "heartbeat"),
      ...target,
    };
  }
  /** `util.inspect` calls this on the target with the proxy as `this`: the same fields either way. */
  [INSPECT](): Record<string, unknown> {
    return ContextTarget.describe(
      #state in this ? this : ((this as Record<symbol, unknown>)[TARGET] as ContextTarget),
    );
  }
}

/** The fields of {@link JobContext}, own and enumerable as in an object literal. */
const CONTEXT_KEYS: readonly string[] = ["signal", "attempt", "logger", "heartbeat"];

function isContextKey(key: PropertyKey): key is keyof JobContext {
  return key === "signal" || key === "attempt" || key === "logger" || key === "heartbeat";
}

function readField(state: ContextState, key: keyof JobContext): unknown {
  switch (key) {
    case "signal":
      return state.signal ?? state.running.signal;
    case "logger":
      state.logger ??= new JobLogger(state.base, state.running.job);
      return state.logger;
    case "attempt":
      return state.attempt;
    default:
      return state.heartbeat;
  }
}

function writeField(state: ContextState, key: keyof JobContext, value: unknown): void {
  if (key === "signal") state.signal = value as AbortSignal;
  else if (key === "logger") state.logger = value as Logger;
  else if (key === "attempt") state.attempt = value as number;
  else state.heartbeat = value as () => Promise<void>;
}

/**
 * The traps of every context. A context behaves as an object literal whose `signal`, `attempt`,
 * `logger` and `heartbeat` are own enumerable properties (a spread or `Object.keys` sees them all;
 * middleware may assign them, or add fields of its own), but its signal and logger are made only
 * when first read: an object literal with accessors cost about 2 us and 1 KB per job, a tenth of
 * the runtime's time per no-op job. Freezing, sealing or deleting its four fields is refused.
 */
const CONTEXT_TRAPS: ProxyHandler<ContextTarget> = {
  get(target, key) {
    if (isContextKey(key)) return readField(ContextTarget.stateOf(target), key);
    if (key === INSPECT) return () => ContextTarget.describe(target);
    if (key === TARGET) return target;
    return Reflect.get(target, key);
  },
  set(target, key, value) {
    if (isContextKey(key)) {
      writeField(ContextTarget.stateOf(target), key, value);
      return true;
    }
    return Reflect.set(target, key, value);
  },
  has(target, key) {
    return isContextKey(key) || Reflect.has(target, key);
  },
  ownKeys(target) {
    return [...CONTEXT_KEYS, ...Reflect.ownKeys(target)];
  },
  getOwnPropertyDescriptor(target, key) {
    if (isContextKey(key)) {
      const value = readField(ContextTarget.stateOf(target), key);
      return { value, writable: true, enumerable: true, configurable: true };
    }
    return Reflect.getOwnPropertyDescriptor(target, key);
  },
  defineProperty(target, key, descriptor) {
    if (isContextKey(key)) {
      if (!("value" in descriptor)) return false;
      writeField(ContextTarget.stateOf(target), key, descriptor.value);
      return true;
    }
    return Reflect.defineProperty(target, key, descriptor);
  },
  deleteProperty(target, key) {
    return !isContextKey(key) && Reflect.deleteProperty(target, key);
  },
  preventExtensions() {
    return false;
  },
};

/** The `ctx` handed to the handler of `running` (see {@link CONTEXT_TRAPS}). */
function jobContext(
  running: RunningJob,
  base: Logger,
  heartbeat: (running: RunningJob) => Promise<void>,
): JobContext {
  const state: ContextState = {
    running,
    base,
    signal: null,
    logger: null,
    attempt: running.job.attempt,
    heartbeat: () => heartbeat(running),
  };
  return new Proxy(new ContextTarget(state), CONTEXT_TRAPS) as unknown as JobContext;
}

/** The fencing reference of a claimed job's attempt. */
export function refOf(job: Job): JobRef {
  return { id: job.id, queue: job.queue, attempt: job.attempt, lockedBy: job.lockedBy ?? "" };
}

/**
 * One attempt in flight: its context, deadline and whether its outcome has been decided. The
 * handler's `AbortController` and its logger are made when first used: most handlers of short
 * jobs touch neither, and an `AbortSignal` per job was a tenth of the runtime's own time.
 */
export class RunningJob {
  readonly ctx: JobContext;
  /** The fencing reference of this attempt. */
  readonly ref: JobRef;
  /** Set once the outcome is decided (by the handler, the timeout, a cancel or a lost lease). */
  settled = false;
  /** Position in the pool's deadline heap, or -1. */
  deadlineIndex = -1;
  private controller: AbortController | null = null;
  /** Why the attempt was aborted, once it was. */
  private abortReason: Error | null = null;
  /** When it was aborted (clock ms), or `null`. */
  abortedAt: number | null = null;

  constructor(
    readonly job: Job,
    readonly startedAt: number,
    /** Epoch ms when the timeout fires, or `Infinity`. */
    readonly deadline: number,
    logger: Logger,
    heartbeat: (running: RunningJob) => Promise<void>,
  ) {
    this.ref = refOf(job);
    this.ctx = jobContext(this, logger, heartbeat);
  }

  /** The handler's abort signal (`ctx.signal`), made on first use; aborted already if the attempt was. */
  get signal(): AbortSignal {
    if (this.controller === null) {
      this.controller = new AbortController();
      if (this.abortReason !== null) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  /** Marks the outcome decided; returns false when it already was. */
  settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    return true;
  }

  /** Why the attempt was aborted (the first reason), or `null` while it was not. */
  get abortedWith(): Error | null {
    return this.abortReason;
  }

  /** Aborts the handler's signal at `at` (clock ms), once: the first reason stays. */
  abort(reason: Error, at: number): void {
    if (this.abortReason !== null) return;
    this.abortReason = reason;
    this.abortedAt = at;
    this.controller?.abort(reason);
  }
}
