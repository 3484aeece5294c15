import { isStoreClosed, toError } from "../errors.js";
import type { Logger } from "../logger/logger.js";
import type { Clock, TimerHandle } from "./clock.js";

/**
 * Runs an async task every `intervalMs` of the injected clock, one run at a time. A failing run is
 * logged and the next run is delayed with exponential backoff (up to 30 s), so a store outage
 * never crashes the process or spins. `stop()` waits for a run in progress and leaves no timer.
 */
export class PeriodicTask {
  private timer: TimerHandle | null = null;
  private immediate: ReturnType<typeof setImmediate> | null = null;
  private current: Promise<void> | null = null;
  private active = false;
  private failures = 0;
  private rerun = false;

  constructor(
    private readonly name: string,
    private readonly clock: Clock,
    private readonly intervalMs: () => number,
    private readonly task: () => Promise<unknown>,
    private readonly logger: Logger,
  ) {}

  /** Starts the task; the first run happens after `delayMs` (default: at once). */
  start(delayMs = 0): void {
    if (this.active) return;
    this.active = true;
    this.arm(delayMs);
  }

  /** Runs the task as soon as possible (after a run in progress). */
  trigger(): void {
    if (!this.active) return;
    if (this.current) {
      this.rerun = true;
      return;
    }
    this.arm(0);
  }

  /** Stops the task and waits for a run in progress. */
  async stop(): Promise<void> {
    this.active = false;
    this.disarm();
    await this.current;
  }

  private arm(delayMs: number): void {
    this.disarm();
    const fire = () => {
      this.timer = null;
      this.immediate = null;
      this.current = this.run();
    };
    // An immediate run does not wait on the clock, so a test clock need not be advanced for it.
    if (delayMs <= 0) this.immediate = setImmediate(fire);
    else this.timer = this.clock.setTimeout(fire, delayMs);
  }

  private disarm(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    if (this.immediate !== null) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
  }

  private async run(): Promise<void> {
    let next = this.intervalMs();
    try {
      // A task may return how long to wait before its next run (e.g. until the next due schedule).
      const wanted = await this.task();
      if (typeof wanted === "number") next = Math.max(0, Math.min(next, wanted));
      this.failures = 0;
    } catch (err) {
      if (isStoreClosed(err)) {
        // A closed store never comes back: stop instead of retrying forever.
        if (this.active)
          this.logger.error(`${this.name} stopped: the store was closed`, { error: toError(err).message });
        this.active = false;
        return;
      }
      this.failures++;
      next = Math.min(30_000, Math.max(100, this.intervalMs()) * 2 ** Math.min(this.failures - 1, 8));
      const log = this.failures <= 3 || this.failures % 20 === 0 ? this.logger.error : this.logger.debug;
      log.call(this.logger, `${this.name} failed; retrying in ${next}ms`, {
        error: toError(err).message,
        failures: this.failures,
      });
    } finally {
      this.current = null;
    }
    if (!this.active) return;
    if (this.rerun) {
      this.rerun = false;
      next = 0;
    }
    this.arm(next);
  }
}
