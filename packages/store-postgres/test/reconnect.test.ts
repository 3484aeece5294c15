import { createScheduler, type Scheduler } from "@sched/core";
import { PrivatePostgres } from "@sched/test-servers";
import { recordingLogger, waitFor } from "@sched/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresStore } from "../src/index.js";

const server = new PrivatePostgres();
beforeAll(async () => {
  await server.start();
  const store = new PostgresStore({ connectionString: server.url });
  await store.migrate();
  await store.close();
}, 60_000);
afterAll(() => server.remove());

describe("a server that was down for a while", () => {
  it("work resumes within about a second of the server being back, not after the claim loop's backoff", async () => {
    const store = new PostgresStore({ connectionString: server.url, connectionTimeout: "1s" });
    const events: string[] = [];
    const unsubscribe = store.subscribe((event) => events.push(event.type));
    const scheduler: Scheduler = createScheduler({ store, logger: recordingLogger() });
    const started: number[] = [];
    scheduler.register("due-during-the-outage", async () => {
      started.push(Date.now());
    });
    try {
      await scheduler.start();
      // Due while the server is down: nothing will announce it when the server is back (the
      // enqueue's notification went out long before), so only the scheduler's own loop finds it.
      await scheduler.enqueue({
        name: "due-during-the-outage",
        payload: null,
        runAt: new Date(Date.now() + 3_000),
      });
      await server.stop("immediate");
      // Down long enough for the claim loop's backoff to grow past 10 s (it doubles from 100 ms
      // after each failure, up to 30 s).
      await new Promise((resolve) => setTimeout(resolve, 20_000));
      expect(started).toEqual([]);
      await server.start();
      const backAt = Date.now();
      await waitFor(() => started.length > 0, { timeout: "30s", description: "the job to run" });
      const resumedAfter = (started[0] as number) - backAt;
      expect(resumedAfter).toBeLessThan(3_000);
      // The LISTEN connection said it was back, once.
      expect(events.filter((type) => type === "connected")).toHaveLength(1);
    } finally {
      unsubscribe();
      await scheduler.stop({ timeout: "1s" });
      await store.close();
    }
  }, 90_000);
});
