import { createScheduler, MemoryStore } from "@sched/core";
import { PrivateRedis } from "@sched/test-servers";
import { recordingLogger } from "@sched/testing";
import { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RedisLeader } from "../src/index.js";
import { uniqueName } from "./redis.js";

// A server of each test's own, frozen (SIGSTOP) while the test runs: connections stay open and
// nothing answers, as a Redis stuck in a long command, swapping, or cut off by the network.
let server: PrivateRedis;
beforeEach(async () => {
  server = new PrivateRedis();
  await server.start();
});
afterEach(async () => {
  await server.remove();
});

/** How long `action` took to settle (ms), and what it resolved or rejected with. */
async function timed<T>(action: () => Promise<T>): Promise<{ ms: number; value?: T; error?: unknown }> {
  const started = performance.now();
  try {
    const value = await action();
    return { ms: performance.now() - started, value };
  } catch (error) {
    return { ms: performance.now() - started, error };
  }
}

describe("RedisLeader on a Redis that hangs (frozen with SIGSTOP)", () => {
  it("a renewal gives up within commandTimeout (default 3 s), not 90% of the TTL", async () => {
    const leader = new RedisLeader({
      url: server.url,
      name: uniqueName(),
      ttl: "30s",
      logger: recordingLogger(),
    });
    try {
      expect(await leader.acquire()).toBe(true);
      server.freeze();
      const renewal = await timed(() => leader.acquire());
      expect(renewal.value).toBe(false);
      expect(renewal.ms).toBeLessThan(3_000 + 500);
      expect(leader.isLeader()).toBe(false);
      const acquire = await timed(() => leader.acquire());
      expect(acquire.value).toBe(false);
      expect(acquire.ms).toBeLessThan(3_000 + 500);
    } finally {
      server.thaw();
      await leader.close();
    }
  });

  it("commandTimeout sets the bound, also on a client passed in", async () => {
    const client = new Redis(server.url, { maxRetriesPerRequest: null });
    client.on("error", () => {});
    const leader = new RedisLeader({
      client,
      name: uniqueName(),
      commandTimeout: 300,
      logger: recordingLogger(),
    });
    try {
      expect(await leader.acquire()).toBe(true);
      server.freeze();
      const renewal = await timed(() => leader.acquire());
      expect(renewal.value).toBe(false);
      expect(renewal.ms).toBeGreaterThanOrEqual(290);
      expect(renewal.ms).toBeLessThan(300 + 300);
      const release = await timed(() => leader.release());
      expect(release.error).toMatchObject({ code: "STORE_ERROR" });
      expect(release.ms).toBeLessThan(300 + 300);
    } finally {
      server.thaw();
      await leader.close();
      client.disconnect();
    }
  });

  it("close() resolves within 3 s while it leads", async () => {
    const leader = new RedisLeader({ url: server.url, name: uniqueName(), logger: recordingLogger() });
    expect(await leader.acquire()).toBe(true);
    server.freeze();
    try {
      const closing = await timed(() => leader.close());
      expect(closing.error).toBeUndefined();
      expect(closing.ms).toBeLessThan(3_000);
      expect(leader.isLeader()).toBe(false);
    } finally {
      server.thaw();
    }
  });

  it("a scheduler's start() and stop() stay bounded when the leader's Redis hangs", async () => {
    const leader = new RedisLeader({ url: server.url, name: uniqueName(), logger: recordingLogger() });
    const scheduler = createScheduler({
      store: new MemoryStore(),
      leader,
      logger: recordingLogger(),
      distributed: { enabled: true },
    });
    await leader.acquire();
    await leader.release();
    server.freeze();
    try {
      // start() waits for a first acquire: it fails within commandTimeout, and the instance does not lead.
      const starting = await timed(() => scheduler.start());
      expect(starting.error).toBeUndefined();
      expect(starting.ms).toBeLessThan(3_000 + 500);
      expect(scheduler.isLeader).toBe(false);
      const stopping = await timed(() => scheduler.stop({ timeout: "2s" }));
      expect(stopping.error).toBeUndefined();
      expect(stopping.ms).toBeLessThan(2_000 + 1_000 + 3_000);
      const closing = await timed(() => leader.close());
      expect(closing.ms).toBeLessThan(3_000);
    } finally {
      server.thaw();
      await scheduler.stop();
      await leader.close();
    }
  });
});
