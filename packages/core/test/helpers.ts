import { ManualClock } from "../src/manual-clock.js";
import { MemoryStore } from "../src/memory/index.js";
import type { SchedulerOptions } from "../src/options.js";
import { createScheduler } from "../src/scheduler.js";
import type { Logger } from "../src/types.js";

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
