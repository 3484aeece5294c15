import { PrivatePostgres } from "@sched/test-servers";
import { recordingLogger } from "@sched/testing";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { PostgresLeader, type PostgresLeaderOptions } from "../src/index.js";

// A server that hangs: every backend and the postmaster stopped with SIGSTOP. Connections stay
// open and nothing answers, so only the leader's own limits end a call.
const server = new PrivatePostgres();
const made: PostgresLeader[] = [];

beforeAll(async () => {
  await server.start();
  const leader = new PostgresLeader({ connectionString: server.url });
  await leader.migrate();
  await leader.close();
}, 60_000);
afterEach(async () => {
  server.thaw();
  await Promise.all(made.splice(0).map((leader) => leader.close()));
});
afterAll(() => server.remove());

function leaderOf(options: PostgresLeaderOptions = {}): PostgresLeader {
  const connection = options.pool === undefined ? { connectionString: server.url } : {};
  const leader = new PostgresLeader({ ...connection, logger: recordingLogger(), ...options });
  made.push(leader);
  return leader;
}

async function timed<T>(call: () => Promise<T>): Promise<{ ms: number; value?: T; error?: unknown }> {
  const started = performance.now();
  try {
    const value = await call();
    return { ms: performance.now() - started, value };
  } catch (error) {
    return { ms: performance.now() - started, error };
  }
}

/** Slack for timers and the event loop on a busy machine, in ms. */
const SLACK_MS = 750;

describe("a PostgresLeader whose server hangs", () => {
  it("acquire() steps down and resolves false within 90% of the TTL", async () => {
    const leader = leaderOf({ ttl: "2s" });
    expect(await leader.acquire()).toBe(true);
    server.freeze();
    const renewal = await timed(() => leader.acquire());
    expect(renewal.value).toBe(false);
    expect(renewal.ms).toBeLessThan(1_800 + SLACK_MS);
    expect(leader.isLeader()).toBe(false);
  });

  it("close() resolves within about 2 s, with a renewal in flight and the lease held", async () => {
    const leader = leaderOf({ ttl: "30s" });
    expect(await leader.acquire()).toBe(true);
    server.freeze();
    // The renewal would wait up to 27 s (90% of the TTL); close() does not wait for it.
    const renewal = leader.acquire();
    const close = await timed(() => leader.close());
    expect(close.ms).toBeLessThan(2_000 + SLACK_MS);
    expect(await renewal).toBe(false);
    expect(leader.isLeader()).toBe(false);
  });

  it("in transaction pool mode too: close() with a renewal in flight resolves, and the process lives on", async () => {
    // The lease statements then run on a client taken from the pool; its connection, cut by
    // close() mid-statement, reported an 'error' on the client that nothing listened to, which
    // ended the process ("Connection terminated unexpectedly").
    const crashes: unknown[] = [];
    const onUncaught = (err: unknown): void => {
      crashes.push(err);
    };
    process.on("uncaughtException", onUncaught);
    try {
      const leader = leaderOf({ ttl: "30s", poolMode: "transaction", name: "transaction-mode-close" });
      expect(await leader.acquire()).toBe(true);
      server.freeze();
      const renewal = leader.acquire();
      await new Promise((resolve) => setTimeout(resolve, 300));
      const close = await timed(() => leader.close());
      expect(close.ms).toBeLessThan(2_000 + SLACK_MS);
      expect(await renewal).toBe(false);
      server.thaw();
      // Late socket events of the cut connections, if any, come now.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(crashes).toEqual([]);
    } finally {
      process.off("uncaughtException", onUncaught);
    }
  });

  it("close() of a leader on a pool you gave resolves within about 2 s too, and leaves the pool open", async () => {
    const pool = new pg.Pool({ connectionString: server.url, max: 2 });
    pool.on("error", () => {});
    try {
      const leader = leaderOf({ pool, ttl: "30s" });
      expect(await leader.acquire()).toBe(true);
      server.freeze();
      const close = await timed(() => leader.close());
      expect(close.ms).toBeLessThan(2_000 + SLACK_MS);
      expect(pool.ended).toBe(false);
    } finally {
      server.thaw();
      await pool.end();
    }
  });

  it("a leader that never connected: acquire() resolves false within 90% of the TTL, close() at once", async () => {
    server.freeze();
    const leader = leaderOf({ ttl: "1s" });
    const acquire = await timed(() => leader.acquire());
    expect(acquire.value).toBe(false);
    expect(acquire.ms).toBeLessThan(900 + SLACK_MS);
    const close = await timed(() => leader.close());
    expect(close.ms).toBeLessThan(2_000 + SLACK_MS);
  });
});
