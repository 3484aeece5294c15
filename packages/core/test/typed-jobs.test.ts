import { describe, expect, expectTypeOf, it } from "vitest";
import type { Job } from "../src/jobs/job.js";
import { createScheduler } from "../src/scheduler.js";
import type { Duration } from "../src/time/duration.js";
import { recordingLogger } from "./helpers.js";

// The `@ts-expect-error` lines below are checked by `tsc` (pnpm typecheck): each must not compile.

interface Jobs {
  send_email: { to: string };
  cleanup: null;
}

describe("a typed job map", () => {
  it("checks job names and payloads at compile time, and runs as usual", async () => {
    const s = createScheduler<Jobs>({ logger: recordingLogger() });
    const sent: string[] = [];
    s.register("send_email", (job) => {
      expectTypeOf(job.payload).toEqualTypeOf<{ to: string }>();
      sent.push(job.payload.to);
    });
    const mistakes = () => {
      // @ts-expect-error: not a name of the map
      s.register("send_emial", () => {});
      // @ts-expect-error: a payload type other than the map's
      s.register<{ to: number }>("send_email", () => {});
      // @ts-expect-error: not a name of the map
      void s.enqueue({ name: "send_emial", payload: { to: "x" } });
      // @ts-expect-error: a payload of the wrong type
      void s.enqueue({ name: "send_email", payload: { to: 42 } });
      // @ts-expect-error: the payload of another name
      void s.enqueueMany([{ name: "cleanup", payload: { to: "x" } }]);
      // @ts-expect-error: a payload is required by the map
      void s.enqueue({ name: "send_email" });
      // @ts-expect-error: a property the payload type does not have
      void s.enqueue({ name: "send_email", payload: { to: "a", tpyo: 1 } });
      const everyFive = s.every(5).minutes();
      // @ts-expect-error: not a name of the map
      void everyFive.do("not_in_map", () => {});
      // @ts-expect-error: not a name of the map
      void s.at(new Date()).do("not_in_map", () => {});
    };
    expect(typeof mistakes).toBe("function");
    const job = await s.enqueue({ name: "send_email", payload: { to: "a@example.com" } });
    expectTypeOf(job).toEqualTypeOf<Job<{ to: string }>>();
    await s.enqueueMany([
      { name: "send_email", payload: { to: "b@example.com" } },
      { name: "cleanup", payload: null },
    ]);
    await s.schedule("cleanup", "0 3 * * *", (tick) => {
      expectTypeOf(tick.payload).toEqualTypeOf<null>();
    });
    await s.start();
    try {
      await expect.poll(() => sent.sort()).toEqual(["a@example.com", "b@example.com"]);
    } finally {
      await s.stop({ timeout: 0 });
    }
  });

  it("without a map, register<P>() and enqueue<P>() give the payload type", async () => {
    const s = createScheduler({ logger: recordingLogger() });
    s.register<{ to: string }>("send_email", (job) => {
      expectTypeOf(job.payload.to).toEqualTypeOf<string>();
    });
    const job = await s.enqueue<{ to: string }>({ name: "send_email", payload: { to: "c@example.com" } });
    expectTypeOf(job.payload).toEqualTypeOf<{ to: string }>();
    const untyped = await s.enqueue({ name: "anything", payload: [1, 2] });
    expectTypeOf(untyped.payload).toEqualTypeOf<unknown>();
    expect(job.payload.to).toBe("c@example.com");
  });
});

describe("durations", () => {
  it("are milliseconds or strings with units", () => {
    const ok: Duration[] = [500, "500ms", "30s", "5m", "1h30m", "1d2h30m", "1.5h"];
    // @ts-expect-error: a string without a unit
    const noUnit: Duration = "30";
    // @ts-expect-error: not a unit
    const badUnit: Duration = "30 seconds";
    expect(ok).toHaveLength(7);
    expect([noUnit, badUnit]).toHaveLength(2);
  });
});
