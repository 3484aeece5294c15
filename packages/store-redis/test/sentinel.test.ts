import { PrivateSentinelGroup } from "@sched/test-servers";
import { storeConformance } from "@sched/testing/conformance";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisStore, type RedisStoreOptions } from "../src/index.js";
import { deleteKeys, newJob, uniquePrefix } from "./helpers.js";

// A primary, its replica and three Sentinels of this file's own, with passwords on both. The store
// connects through the Sentinels; the conformance suite runs on it with waitForReplicas, so that
// every acknowledged write also waits for the replica.
const PASSWORD = "data:p@ss/w%rd";
const SENTINEL_PASSWORD = "sentinel#p@ss!";
const group = new PrivateSentinelGroup({ password: PASSWORD, sentinelPassword: SENTINEL_PASSWORD });
let admin: Redis;

/** The options of a store through the group's Sentinels, with `overrides`. */
function sentinelOptions(overrides: RedisStoreOptions = {}): RedisStoreOptions {
  return {
    sentinels: group.sentinelAddresses,
    name: group.name,
    password: PASSWORD,
    sentinelPassword: SENTINEL_PASSWORD,
    ...overrides,
  };
}

beforeAll(async () => {
  await group.start();
  admin = new Redis({
    sentinels: group.sentinelAddresses,
    name: group.name,
    password: PASSWORD,
    sentinelPassword: SENTINEL_PASSWORD,
    lazyConnect: true,
  });
  admin.on("error", () => {});
}, 60_000);

afterAll(async () => {
  admin?.disconnect();
  await group.remove();
});

storeConformance(
  "RedisStore through Sentinel, waitForReplicas 1",
  () =>
    new RedisStore(
      sentinelOptions({
        keyPrefix: uniquePrefix("sentinel"),
        waitForReplicas: { replicas: 1, timeout: "1s" },
      }),
    ),
  {
    cleanup: async (store) => deleteKeys(admin, (store as RedisStore).keyPrefix),
    openPeer: (store) => new RedisStore(sentinelOptions({ keyPrefix: (store as RedisStore).keyPrefix })),
    wipe: async (store) => deleteKeys(admin, (store as RedisStore).keyPrefix),
  },
);

describe("RedisStore through Sentinel", () => {
  it("connects to the primary the Sentinels name", async () => {
    const store = new RedisStore(sentinelOptions({ keyPrefix: uniquePrefix("where") }));
    try {
      await store.ping();
      const primary = await group.primary();
      expect(await store.redis.info("server")).toContain(`tcp_port:${primary.port}`);
      expect(await store.redis.call("ROLE").then((role) => (role as string[])[0])).toBe("master");
    } finally {
      await store.close();
    }
  });

  it("names the primary and its Sentinels, never a password, when no Sentinel lets it in", async () => {
    const store = new RedisStore(
      sentinelOptions({
        keyPrefix: uniquePrefix("wrong"),
        sentinelPassword: "not-the-sentinel-pw!",
        commandTimeout: "1s",
      }),
    );
    try {
      const error = await store.ping().then(
        () => null,
        (err: unknown) => err as Error,
      );
      expect(error).toMatchObject({ code: "STORE_TIMEOUT" });
      // The timeout says where, and why the client could not connect.
      expect(String(error?.message)).toMatch(
        /Redis at primary "[^"]+" via Sentinel .*; last connection error: /,
      );
      for (const secret of ["not-the-sentinel-pw!", PASSWORD, SENTINEL_PASSWORD]) {
        expect(String(error?.message)).not.toContain(secret);
        expect(String(error?.stack)).not.toContain(secret);
      }
    } finally {
      await store.close();
    }
  });

  it("a wrong password of the data nodes fails naming the primary and the Sentinels, without a secret", async () => {
    const store = new RedisStore(
      sentinelOptions({ keyPrefix: uniquePrefix("wrong-data"), password: "not-the-data-pw!" }),
    );
    try {
      const error = await store.ping().then(
        () => null,
        (err: unknown) => err as Error,
      );
      expect(error?.message).toMatch(
        /primary "mymaster" via Sentinel 127\.0\.0\.1:\d+,127\.0\.0\.1:\d+,127\.0\.0\.1:\d+/,
      );
      const texts = [
        error?.message,
        error?.stack,
        JSON.stringify(error),
        String((error?.cause as Error)?.message),
      ];
      for (const secret of ["not-the-data-pw!", PASSWORD, SENTINEL_PASSWORD]) {
        for (const text of texts) expect(String(text)).not.toContain(secret);
      }
    } finally {
      await store.close();
    }
  });
});

describe("waitForReplicas on a Sentinel setup", () => {
  it("an enqueue resolves once the replica has the job", async () => {
    const store = new RedisStore(
      sentinelOptions({ keyPrefix: uniquePrefix("wait"), waitForReplicas: { replicas: 1, timeout: "1s" } }),
    );
    try {
      const [job] = await store.createJobs([newJob()]);
      const primaryPort = await group.primaryPort();
      const replica = group.nodes.find((node) => node.port !== primaryPort);
      const key = `${store.keyPrefix}{default}:job:${job?.id}`;
      expect(await group.command(replica?.port ?? 0, PASSWORD, ["EXISTS", key])).toBe(1);
    } finally {
      await deleteKeys(admin, store.keyPrefix);
      await store.close();
    }
  });

  it("with the replica down, an enqueue rejects with a StoreError saying it is on the primary only", async () => {
    const store = new RedisStore(
      sentinelOptions({
        keyPrefix: uniquePrefix("wait-down"),
        waitForReplicas: { replicas: 1, timeout: "200ms" },
      }),
    );
    const plain = new RedisStore(sentinelOptions({ keyPrefix: store.keyPrefix }));
    const primaryPort = await group.primaryPort();
    const replica = group.nodes.find((node) => node.port !== primaryPort);
    if (replica === undefined) throw new Error("no replica");
    try {
      await replica.kill();
      const job = newJob();
      const error = await store.createJobs([job]).then(
        () => null,
        (err: unknown) => err as Error,
      );
      expect(error).toMatchObject({ code: "STORE_ERROR" });
      expect(error?.message).toMatch(
        /written on the primary, but only 0 of the 1 replica\(s\).*within 200ms/,
      );
      expect(error?.message).toContain('primary "mymaster" via Sentinel');
      // The job is there: the rejection says only that a failover now could lose it.
      expect(await store.getJob(job.id)).toMatchObject({ id: job.id, status: "pending" });
      // A store without the option acknowledges at once.
      await expect(plain.createJobs([newJob()])).resolves.toHaveLength(1);
      // Schedules and cancels are acknowledged writes too.
      await expect(store.cancelJob(job.id, new Date())).rejects.toMatchObject({ code: "STORE_ERROR" });
    } finally {
      await replica.start();
      await deleteKeys(admin, store.keyPrefix);
      await Promise.all([store.close(), plain.close()]);
    }
  });
});
