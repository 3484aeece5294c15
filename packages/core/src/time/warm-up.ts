import type { Clock, TimerHandle } from "./clock.js";

/**
 * How long before a timed store call the runtime makes a cheap one, in ms (see {@link WarmUp}). A
 * server and host that idled answer their first call slowly: on a 2-core VM a round trip after
 * 1 s of quiet took 11–14 ms on Redis and 10–24 ms on PostgreSQL, and 1–3.5 ms when a call had
 * gone 25 ms before.
 */
export const WARM_UP_MS = 25;

/**
 * Makes a cheap store call {@link WARM_UP_MS} before a wait ends (for waits of at least twice
 * that), so that the call due when it ends (a delayed job's claim, a schedule's firing) finds the
 * server awake. Failures are ignored: the call that follows reports its own.
 */
export class WarmUp {
  private timer: TimerHandle | null = null;
  private inFlight: Promise<void> | null = null;

  constructor(
    private readonly clock: Clock,
    /** The cheap call. */
    private readonly call: () => Promise<unknown>,
  ) {}

  /** The call in flight, if any: a stopping owner waits for it. */
  get pending(): Promise<void> | null {
    return this.inFlight;
  }

  /** Arms the call for a wait of `delay` ms that starts now, replacing one armed before. */
  before(delay: number): void {
    this.clear();
    if (!(delay >= 2 * WARM_UP_MS)) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.fire();
    }, delay - WARM_UP_MS);
  }

  /** Disarms the call (one in flight goes on: see {@link pending}). */
  clear(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private fire(): void {
    if (this.inFlight !== null) return;
    // A call that throws at once is a failure like a rejection: nothing escapes the timer.
    this.inFlight = new Promise<unknown>((resolve) => resolve(this.call()))
      .then(
        () => {},
        () => {},
      )
      .finally(() => {
        this.inFlight = null;
      });
  }
}
