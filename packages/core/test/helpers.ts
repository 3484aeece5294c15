import type { SchedulerOptions } from "../src/config/options.js";
import { parseCron } from "../src/cron/index.js";
import type { Logger } from "../src/logger/logger.js";
import { MemoryStore } from "../src/memory/index.js";
import { createScheduler } from "../src/scheduler.js";
import { ManualClock } from "../src/time/manual-clock.js";

/** A logger that records lines, for assertions. */
export function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const add = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    lines.push(`${level} ${message}${fields ? ` ${JSON.stringify(fields)}` : ""}`);
  return { lines, debug: add("debug"), info: add("info"), warn: add("warn"), error: add("error") };
}

/** A scheduler on a manual clock and a fresh memory store. */
export function setup(options: SchedulerOptions = {}) {
  const clock = new ManualClock(new Date("2030-01-01T00:00:00.000Z"));
  const store = new MemoryStore();
  const logger = recordingLogger();
  const s = createScheduler({ clock, store, logger, random: () => 0.5, ...options });
  return { s, clock, store, logger };
}

/** Lets the event loop run until `condition` holds; fails after `ms` of real time. */
export async function until(condition: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** A few turns of the event loop. */
export async function turns(n = 20): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** A promise with its resolve function exposed. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** The first `count` runs of cron `expr` (in `timezone`, default UTC) after `from`, as ISO strings. */
export function cronRuns(expr: string, from: string, count: number, timezone?: string): string[] {
  const schedule = parseCron(expr, timezone === undefined ? {} : { timezone });
  const out: string[] = [];
  let after = new Date(from);
  for (let i = 0; i < count; i++) {
    const run = schedule.next(after);
    if (run === null) break;
    out.push(run.toISOString());
    after = run;
  }
  return out;
}

/** A small seeded PRNG (mulberry32): the same sequence on every platform, so a failure can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * A store that passes every call to a `MemoryStore` (`inner`, which `wipe()` replaces by an empty
 * one, as a backend that lost its data), lets a test hold calls back (`hang`), and lets it push
 * events to the subscribers (`emit`).
 */
export class TestStore {
  inner = new MemoryStore();
  /** Calls of these methods never answer while listed. */
  readonly hang = new Set<string>();
  private readonly listeners = new Set<(event: import("../src/store/store.js").StoreEvent) => void>();
  private unsubscribeInner: (() => void) | null = null;

  constructor() {
    // biome-ignore lint/correctness/noConstructorReturn: a Proxy stands in for the store.
    return new Proxy(this, {
      get: (target, property, receiver) => {
        if (property in target) return Reflect.get(target, property, receiver);
        const value = Reflect.get(target.inner, property, target.inner);
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          if (target.hang.has(String(property))) return new Promise(() => {});
          return value.apply(target.inner, args);
        };
      },
    });
  }

  /** Replaces the data by an empty store, with a new epoch. */
  wipe(): void {
    this.unsubscribeInner?.();
    this.inner = new MemoryStore();
    this.unsubscribeInner = this.inner.subscribe((event) => this.emit(event));
  }

  /** While set, events are lost (as during an outage of the push connection). */
  muted = false;

  /** Calls every subscriber with `event` (unless muted). */
  emit(event: import("../src/store/store.js").StoreEvent): void {
    if (this.muted) return;
    for (const listener of this.listeners) listener(event);
  }

  subscribe(listener: (event: import("../src/store/store.js").StoreEvent) => void): () => void {
    if (this.listeners.size === 0) this.unsubscribeInner = this.inner.subscribe((event) => this.emit(event));
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }
}

/** A {@link TestStore} typed as the store it stands for. */
export function testStore(): TestStore & import("../src/store/store.js").Store<never> {
  return new TestStore() as TestStore & import("../src/store/store.js").Store<never>;
}
