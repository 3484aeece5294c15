import { toError } from "../errors.js";
import type { Job } from "../jobs/job.js";
import type { Logger } from "../logger/logger.js";
import type { Hook } from "./hook.js";

type HookName = keyof Hook;

/**
 * Calls hooks safely: a hook that throws is logged and never affects the job or the loop.
 * Keeps a per-event list so that the hot path skips events nobody listens to.
 */
export class HookRunner {
  private readonly byEvent = new Map<HookName, Hook[]>();

  constructor(
    hooks: readonly Hook[],
    private readonly logger: Logger,
    /** Hooks are called only while this is open (not after the scheduler stopped). */
    private readonly gate: { readonly opened: boolean } = { opened: true },
  ) {
    for (const hook of hooks) this.add(hook);
  }

  /** Adds a hook. */
  add(hook: Hook): void {
    for (const name of ["beforeJob", "afterJob", "onEnqueue", "onRetry", "onDead", "onRecover"] as const) {
      if (typeof hook[name] === "function") {
        const list = this.byEvent.get(name) ?? [];
        list.push(hook);
        this.byEvent.set(name, list);
      }
    }
  }

  /** Whether any hook listens to `name`. */
  has(name: HookName): boolean {
    return this.byEvent.has(name);
  }

  beforeJob(job: Job): void {
    this.call("beforeJob", (h) => h.beforeJob?.(job));
  }

  afterJob(job: Job, err: Error | null, durationMs: number): void {
    this.call("afterJob", (h) => h.afterJob?.(job, err, durationMs));
  }

  onEnqueue(job: Job): void {
    this.call("onEnqueue", (h) => h.onEnqueue?.(job));
  }

  onRetry(job: Job, attempt: number, err: Error): void {
    this.call("onRetry", (h) => h.onRetry?.(job, attempt, err));
  }

  onDead(job: Job, err: Error): void {
    this.call("onDead", (h) => h.onDead?.(job, err));
  }

  onRecover(count: number): void {
    this.call("onRecover", (h) => h.onRecover?.(count));
  }

  private call(name: HookName, invoke: (hook: Hook) => unknown): void {
    const list = this.byEvent.get(name);
    if (!list || !this.gate.opened) return;
    for (const hook of list) {
      try {
        const result = invoke(hook);
        if (result && typeof (result as Promise<unknown>).catch === "function") {
          (result as Promise<unknown>).catch((err) => this.report(name, err));
        }
      } catch (err) {
        this.report(name, err);
      }
    }
  }

  private report(name: HookName, err: unknown): void {
    this.logger.error(`hook ${name} threw; the job is not affected`, { error: toError(err).message });
  }
}
