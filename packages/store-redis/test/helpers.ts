import { randomBytes } from "node:crypto";
import { type NewJobRecord, type ScheduleRecord, uuidv7Generator } from "@sched/core";
import { Cluster, Redis } from "ioredis";
import { afterAll, afterEach } from "vitest";
import { RedisStore, type RedisStoreOptions } from "../src/index.js";

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

/**
 * The stores of a test file, on one client: `open()` makes one under a new prefix starting with
 * `label` (with `options`); after each test their keys are deleted and they are closed, and the
 * client is closed after the file.
 */
export function storesOnOneClient(label: string): {
  client: Redis;
  open(options?: Partial<RedisStoreOptions>): RedisStore;
} {
  const client = adminClient();
  const stores: RedisStore[] = [];
  afterEach(async () => {
    for (const store of stores.splice(0)) {
      await deleteKeys(client, store.keyPrefix);
      await store.close();
    }
  });
  afterAll(async () => {
    await client.quit();
  });
  return {
    client,
    open(options = {}) {
      const store = new RedisStore({ client, keyPrefix: uniquePrefix(label), ...options });
      stores.push(store);
      return store;
    },
  };
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

/** A schedule record every second whose ticks go to `queue`, due at `at`, with `overrides` applied. */
export function newSchedule(
  name: string,
  queue: string,
  at: Date,
  overrides: Partial<ScheduleRecord> = {},
): ScheduleRecord {
  return {
    name,
    definition: {
      kind: "interval",
      every: 1_000,
      anchor: 0,
      timezone: "UTC",
      misfire: "once",
      maxOccurrences: null,
      until: null,
      job: { queue, priority: 0, maxRetries: 0, timeout: 0, payload: null, metadata: {}, uniqueKey: null },
    },
    nextRunAt: at,
    lastRunAt: null,
    occurrences: 0,
    createdAt: at,
    updatedAt: at,
    definedAt: at,
    definedBy: "instance-1",
    ...overrides,
  };
}
