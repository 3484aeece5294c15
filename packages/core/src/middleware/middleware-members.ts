import { InvalidArgumentError, toError } from "../errors.js";
import { HOOK_NAMES } from "../hooks/hook.js";
import type { HookRunner } from "../hooks/hook-runner.js";
import type { Job } from "../jobs/job.js";
import type { Logger } from "../logger/logger.js";
import { assertKnownFields } from "../validation/option-names.js";
import { nest } from "./chain.js";
import type {
  AttachedScheduler,
  EnqueueWrapper,
  FiringResult,
  Middleware,
  OutgoingJob,
  ScheduleFiring,
  TickWrapper,
} from "./middleware.js";

type Attach = NonNullable<Middleware["attach"]>;

/**
 * Installs the optional members of middleware (`hooks`, `wrapEnqueue`, `wrapTick`, `attach`) and
 * applies them. The first middleware given is the outermost wrapper, as for handlers.
 */
export class MiddlewareMembers {
  private readonly enqueueWrappers: EnqueueWrapper[] = [];
  private readonly tickWrappers: TickWrapper[] = [];
  /** The wrappers nested once, when one is added, not at every enqueue or firing. */
  private enqueueChain: EnqueueWrapper | null = null;
  private tickChain: TickWrapper | null = null;
  private readonly attachers: Attach[] = [];
  private detachers: Array<() => void> = [];
  private view: AttachedScheduler | null = null;

  constructor(
    private readonly hooks: HookRunner,
    private readonly logger: Logger,
  ) {}

  /** Installs the members `middleware` carries (checked beforehand by {@link checkMiddlewareMembers}). */
  add(middleware: Middleware): void {
    for (const hook of middleware.hooks ?? []) this.hooks.add(hook);
    if (middleware.wrapEnqueue) {
      this.enqueueWrappers.push(middleware.wrapEnqueue);
      this.enqueueChain = nest(this.enqueueWrappers);
    }
    if (middleware.wrapTick) {
      this.tickWrappers.push(middleware.wrapTick);
      this.tickChain = nest(this.tickWrappers);
    }
    if (middleware.attach) {
      this.attachers.push(middleware.attach);
      if (this.view) this.runAttach(middleware.attach, this.view);
    }
  }

  /** Whether any middleware wraps enqueues. */
  get wrapsEnqueue(): boolean {
    return this.enqueueChain !== null;
  }

  /** Whether any middleware wraps schedule firings. */
  get wrapsTick(): boolean {
    return this.tickChain !== null;
  }

  /** Runs `insert` inside every enqueue wrapper. */
  enqueue(jobs: readonly OutgoingJob[], insert: () => Promise<Job[]>): Promise<Job[]> {
    return this.enqueueChain ? this.enqueueChain(jobs, insert) : insert();
  }

  /** Runs `fire` inside every tick wrapper. */
  tick(firing: ScheduleFiring, fire: () => Promise<FiringResult>): Promise<FiringResult> {
    return this.tickChain ? this.tickChain(firing, fire) : fire();
  }

  /** Calls every `attach` with the started scheduler. */
  attachAll(view: AttachedScheduler): void {
    this.view = view;
    for (const attach of this.attachers) this.runAttach(attach, view);
  }

  /** Calls what every `attach` returned; the scheduler has stopped. */
  detachAll(): void {
    this.view = null;
    const detachers = this.detachers;
    this.detachers = [];
    for (const detach of detachers) {
      try {
        detach();
      } catch (err) {
        this.logger.error("a middleware's detach threw", { error: toError(err).message });
      }
    }
  }

  private runAttach(attach: Attach, view: AttachedScheduler): void {
    try {
      const detach = attach(view);
      if (typeof detach === "function") this.detachers.push(detach);
    } catch (err) {
      this.logger.error("a middleware's attach threw; the scheduler runs without it", {
        error: toError(err).message,
      });
    }
  }
}

/** Rejects malformed optional members of a middleware, naming the field. */
export function checkMiddlewareMembers(middleware: Middleware): void {
  if (middleware.hooks !== undefined && !Array.isArray(middleware.hooks)) {
    throw new InvalidArgumentError("middleware.hooks", "expected an array of hooks");
  }
  // Each hook as the `hooks` option takes it: a misspelt name (`befroeJob`) would never run.
  for (const [i, hook] of (middleware.hooks ?? []).entries()) {
    if (hook === null || typeof hook !== "object") {
      throw new InvalidArgumentError(`middleware.hooks[${i}]`, "expected a hook object");
    }
    assertKnownFields(hook, HOOK_NAMES, `middleware.hooks[${i}]`);
    for (const name of HOOK_NAMES) {
      if (hook[name] !== undefined && typeof hook[name] !== "function") {
        throw new InvalidArgumentError(
          `middleware.hooks[${i}].${name}`,
          `expected a function, got ${typeof hook[name]}`,
        );
      }
    }
  }
  for (const key of ["wrapEnqueue", "wrapTick", "attach"] as const) {
    const value = middleware[key];
    if (value !== undefined && typeof value !== "function") {
      throw new InvalidArgumentError(`middleware.${key}`, `expected a function, got ${typeof value}`);
    }
  }
}
