import { randomBytes } from "node:crypto";
import { type NewJobRecord, uuidv7Generator } from "@sched/core";
import { Cluster, Redis } from "ioredis";
import { RedisStore } from "../src/index.js";

/** The server the tests use: `SCHED_REDIS_URL`, or the local development server. */
export const REDIS_URL = process.env.SCHED_REDIS_URL ?? "redis://127.0.0.1:6379";

/** A key prefix no other test (or concurrent run) uses. */
export function uniquePrefix(label: string): string {
  return `sched-test:${label}:${randomBytes(5).toString("hex")}:`;
}

/** Every key of `prefix` (queue keys are `<prefix>{<queue>}:…`, prefix keys `<prefix>{#<prefix>}:…`). */
export async function keysOf(client: Redis | Cluster, prefix: string): Promise<string[]> {
  const nodes = client instanceof Cluster ? client.nodes("master") : [client];
  const keys: string[] = [];
  for (const node of nodes) {
    let cursor = "0";
    do {
      const [next, batch] = await node.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== "0");
  }
  return keys;
}

/** Deletes every key of `prefix`; never touches other keys of the shared server. */
export async function deleteKeys(client: Redis | Cluster, prefix: string): Promise<void> {
  for (const key of await keysOf(client, prefix)) await client.del(key);
}

/**
 * A second store on the data of `store` (its key prefix), as another instance would open it:
 * with a client of its own, made by `connect`, which its `close()` also closes.
 */
export function peerOf(store: RedisStore, connect: () => Redis | Cluster): RedisStore {
  const client = connect();
  client.on("error", () => {});
  const peer = new RedisStore({ client, keyPrefix: store.keyPrefix });
  const close = peer.close.bind(peer);
  peer.close = async () => {
    await close();
    await client.quit().catch(() => client.disconnect());
  };
  return peer;
}

/** A plain client on the test server (the caller closes it). */
export function adminClient(): Redis {
  const client = new Redis(REDIS_URL, { lazyConnect: true });
  client.on("error", () => {});
  return client;
}

/** A `redis-server` child process of the test run on `port`, started empty (no persistence). */
export class PrivateRedis {
  private child: import("node:child_process").ChildProcess | null = null;

  constructor(readonly port: number) {}

  /** The URL of the server. */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /**
   * Starts the server and waits until it answers. A server that exits at once (its port not yet
   * free after a kill) is started again, so a restart never waits forever.
   */
  async start(): Promise<void> {
    const { spawn } = await import("node:child_process");
    for (let attempt = 1; ; attempt++) {
      const child = spawn(
        "redis-server",
        ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        { stdio: "ignore" },
      );
      this.child = child;
      const exited = new Promise<"exited">((resolve) => child.once("exit", () => resolve("exited")));
      const probe = new Redis(this.url, {
        lazyConnect: true,
        retryStrategy: () => 50,
        maxRetriesPerRequest: null,
      });
      probe.on("error", () => {});
      try {
        const outcome = await Promise.race([probe.ping(), exited]);
        if (outcome !== "exited") return;
      } finally {
        probe.disconnect();
      }
      if (attempt >= 50) throw new Error(`redis-server on port ${this.port} keeps exiting at start`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Kills the server (SIGKILL: nothing is saved) and waits for it to exit. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child === null || child.exitCode !== null) return;
    await new Promise((resolve) => {
      child.once("exit", resolve);
      child.kill("SIGKILL");
    });
  }
}

const nextId = uuidv7Generator();

/** A pending job of queue `default` due now, with `overrides` applied. */
export function newJob(overrides: Partial<NewJobRecord> = {}): NewJobRecord {
  const now = new Date();
  return {
    id: nextId(),
    name: "test-job",
    payload: { n: 1 },
    queue: "default",
    priority: 0,
    maxRetries: 3,
    timeout: 30_000,
    scheduledAt: now,
    createdAt: now,
    status: "pending",
    metadata: {},
    uniqueKey: null,
    ...overrides,
  };
}
