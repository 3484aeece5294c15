import type { ResolvedOptions } from "../config/options.js";
import { storableDate } from "../enqueue/job-input.js";
import type { HandlerRegistry } from "../handlers/handler-registry.js";
import type { Store } from "../store/store.js";

/** Most names a check asks the store for. */
const NAMES_PER_CHECK = 100;

/**
 * Notices job names waiting in this instance's queues that it has no handler for, and logs one
 * warning per name. Such jobs are never claimed here (claims name the handlers registered, see
 * `Store.claimDueJobs`): they wait for an instance that has the handler, as in a rolling deploy
 * where old and new code run side by side. Only jobs that have waited longer than `lockTTL` count,
 * so that a name another instance handles promptly draws no warning.
 */
export class UnhandledNames {
  private readonly warned = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly options: ResolvedOptions,
    private readonly handlers: HandlerRegistry,
  ) {}

  /** Asks the store for waiting names and warns about those without a handler here. */
  async check(): Promise<void> {
    const { clock, queues, distributed } = this.options;
    const names = await this.store.waitingJobNames({
      queues,
      dueBy: storableDate(clock.now() - distributed.lockTTL),
      limit: NAMES_PER_CHECK,
    });
    for (const name of names) {
      if (!this.handlers.has(name)) this.warn(name, distributed.lockTTL);
    }
  }

  /** Logs the warning for `name` once. */
  warn(name: string, waitedMs?: number): void {
    if (this.warned.has(name)) return;
    this.warned.add(name);
    this.options.logger.warn(
      `no handler is registered here for job name "${name}"; its jobs wait for an instance that registers one (register("${name}", handler), or remove them)`,
      waitedMs === undefined ? { name } : { name, waitedMs },
    );
  }
}
