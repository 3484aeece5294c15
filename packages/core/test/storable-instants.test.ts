import { afterEach, describe, expect, it } from "vitest";
import { isStorableText, isStorableTime } from "../src/index.js";
import { MemoryStore } from "../src/memory/index.js";
import { retryAfter } from "../src/retry/retry.js";
import type { Scheduler } from "../src/scheduler.js";
import { setup, turns, until } from "./helpers.js";

/** The first and last instants of the years 1 to 9999 (UTC): what every store keeps. */
const EARLIEST = Date.parse("0001-01-01T00:00:00.000Z");
const LATEST = Date.parse("9999-12-31T23:59:59.999Z");

/**
 * A MemoryStore that refuses, as PostgreSQL does, every call that carries a Date no store keeps
 * (invalid, or outside the years 1 to 9999), and records it.
 */
function strictStore(): { store: MemoryStore; refused: string[] } {
  const refused: string[] = [];
  const memory = new MemoryStore();
  const datesIn = (value: unknown, path: string, depth: number, out: string[]): void => {
    if (value instanceof Date) {
      const ms = value.getTime();
      if (!(ms >= EARLIEST && ms <= LATEST)) out.push(`${path} = ${String(value)}`);
      return;
    }
    if (depth > 3 || value === null || typeof value !== "object") return;
    for (const [key, item] of Object.entries(value)) datesIn(item, `${path}.${key}`, depth + 1, out);
  };
  const store = new Proxy(memory, {
    get(target, key) {
      const value = Reflect.get(target, key, target);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        const bad: string[] = [];
        for (const [i, arg] of args.entries()) datesIn(arg, `${String(key)}[${i}]`, 0, bad);
        if (bad.length > 0) {
          refused.push(...bad);
          return Promise.reject(new Error(`unstorable instant: ${bad.join(", ")}`));
        }
        return value.apply(target, args);
      };
    },
  });
  return { store, refused };
}

let current: Scheduler | null = null;
afterEach(async () => {
  await current?.stop({ timeout: 0 });
  current = null;
});

describe("instants the runtime computes from long durations stay within the years 1 to 9999", () => {
  it("a lease, a retry delay, a retention or a throughput range past them is the nearest instant within", async () => {
    const { store, refused } = strictStore();
    const huge = 1e17; // about 3 million years
    const { s, clock } = setup({
      store,
      distributed: { lockTTL: huge, lockRefresh: "10s" },
      retry: { maxAttempts: 3, initialDelay: huge, maxDelay: huge },
      completedRetention: huge,
      deadLetter: { retention: huge },
    });
    current = s;
    s.register("ok", () => {});
    s.register("fails", () => {
      throw new Error("boom");
    });
    s.register("later", () => {
      throw retryAfter(new Error("not yet"), huge);
    });
    await s.start();
    const ok = await s.enqueue({ name: "ok" });
    const fails = await s.enqueue({ name: "fails" });
    const later = await s.enqueue({ name: "later" });
    // Before: the claim's lease (now + lockTTL) was an invalid Date and every claim failed; a
    // retry at now + 1e17 ms failed the outcome and left the job running.
    await until(async () => (await s.getJob(ok.id))?.status === "completed");
    for (const job of [fails, later]) {
      await until(async () => (await s.getJob(job.id))?.status === "failed");
      expect((await s.getJob(job.id))?.scheduledAt.toISOString()).toBe("9999-12-31T23:59:59.999Z");
    }
    // Retention past the year 1 deletes nothing, at the periodic cleanup and on demand.
    await clock.advance(120_000);
    await turns(50);
    expect((await s.getJob(ok.id))?.status).toBe("completed");
    expect(await s.cleanupCompleted(huge)).toBe(0);
    // A throughput range reaching past the years a store keeps holds what the years within hold.
    const points = await s.throughput({
      since: new Date("-000100-01-01T00:00:00.000Z"),
      until: new Date("+010000-01-01T00:00:00.000Z"),
    });
    expect(points.reduce((sum, point) => sum + point.completed, 0)).toBe(1);
    expect(refused).toEqual([]);
  });
});

describe("isStorableTime", () => {
  it("takes exactly the instants of the years 1 to 9999 (UTC)", () => {
    expect(isStorableTime(EARLIEST)).toBe(true);
    expect(isStorableTime(LATEST)).toBe(true);
    expect(isStorableTime(0)).toBe(true);
    expect(isStorableTime(EARLIEST - 1)).toBe(false);
    expect(isStorableTime(LATEST + 1)).toBe(false);
    expect(isStorableTime(Number.NaN)).toBe(false);
    expect(isStorableTime(Number.POSITIVE_INFINITY)).toBe(false);
    expect(isStorableTime(Number.NEGATIVE_INFINITY)).toBe(false);
  });
});

describe("isStorableText", () => {
  it("takes text every store keeps unchanged: no U+0000, no lone surrogate", () => {
    expect(isStorableText("group-1 ✓ 😀")).toBe(true);
    expect(isStorableText("a\u0000b")).toBe(false);
    expect(isStorableText("lead\ud800")).toBe(false);
    expect(isStorableText("\udc00lead")).toBe(false);
  });
});
