import { randomBytes } from "node:crypto";
import { createScheduler, type Job } from "@sched/core";
import { PrivateRedis } from "@sched/test-servers";
import { recordingLogger, waitFor } from "@sched/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisStore } from "../src/index.js";
import { uniquePrefix } from "./helpers.js";

// A server of this file's own: it is killed and started again under a running scheduler.
const server = new PrivateRedis();
let admin: Redis;

beforeAll(async () => {
  await server.start();
  admin = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: null });
  admin.on("error", () => {});
});

afterAll(async () => {
  admin?.disconnect();
  await server.remove();
});

/** Creates (again) the Redis user `name` with every right, and returns a URL that logs in as it. */
async function createUser(name: string, password: string): Promise<string> {
  await admin.call("ACL", "SETUSER", name, "reset", "on", `>${password}`, "~*", "&*", "+@all");
  const url = new URL(server.url);
  url.username = name;
  url.password = password;
  return url.toString();
}

describe("a Redis that goes down and comes back", () => {
  it("the scheduler looks for work as soon as its event connection is back, though the events of the outage were lost", async () => {
    // The worker logs in as a user of its own, which the restarted (empty) server does not know
    // at first: the job below is enqueued while the worker cannot connect, so its event is lost.
    const user = `worker-${randomBytes(4).toString("hex")}`;
    const password = randomBytes(12).toString("hex");
    const workerUrl = await createUser(user, password);
    const keyPrefix = uniquePrefix("reconnect");
    const workerStore = new RedisStore({ url: workerUrl, keyPrefix });
    const producerStore = new RedisStore({ url: server.url, keyPrefix });
    // Polling an hour away, and nothing due: only a pushed event, or the connected event, wakes it.
    const worker = createScheduler({ store: workerStore, logger: recordingLogger(), pollInterval: "1h" });
    const producer = createScheduler({ store: producerStore, logger: recordingLogger() });
    const ran: Array<{ n: number; at: number }> = [];
    worker.register("work", async (job: Job<{ n: number }>) => {
      ran.push({ n: job.payload.n, at: Date.now() });
    });
    try {
      await worker.start();
      await waitFor(
        async () => {
          await producer.enqueue({ name: "work", payload: { n: 0 } });
          return ran.length > 0;
        },
        { timeout: "5s", interval: "200ms", description: "a job woken by its event before the outage" },
      );
      // Idle: no claim in flight, none failing during the outage, none retried after it.
      await new Promise((resolve) => setTimeout(resolve, 1_000));

      await server.kill();
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      await server.start();
      await producer.enqueue({ name: "work", payload: { n: 1 } });
      // Let the worker's connections try (and fail) to log in for a while.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(ran.map((run) => run.n)).not.toContain(1);

      await createUser(user, password);
      const backAt = Date.now();
      await waitFor(() => ran.some((run) => run.n === 1), {
        timeout: "10s",
        description: "the job enqueued during the outage to run once the worker is back",
      });
      // ioredis reconnects within 2 s (its longest backoff); the claim follows at once.
      expect((ran.find((run) => run.n === 1)?.at ?? 0) - backAt).toBeLessThan(4_000);
    } finally {
      await Promise.all([worker.stop({ timeout: 0 }), producer.stop({ timeout: 0 })]);
      await Promise.all([workerStore.close(), producerStore.close()]);
    }
  }, 60_000);
});
