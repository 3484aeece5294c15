import { createServer } from "node:net";
import { StoreError } from "@sched/core";
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { RedisStore } from "../src/index.js";
import { REDIS_URL, uniquePrefix } from "./helpers.js";

/** A local TCP port that nothing listens on: one the system just handed out and took back. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no TCP port was assigned");
  return address.port;
}

async function failureOf(action: Promise<unknown>): Promise<StoreError> {
  const error = await action.then(
    () => null,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(StoreError);
  return error as StoreError;
}

describe("a Redis nothing listens on", () => {
  it("is a StoreError naming the address and the socket's reason and code, never the password or URL", async () => {
    const port = await closedPort();
    const url = `redis://:s3cret-pw@127.0.0.1:${port}/0`;
    const store = new RedisStore({ url, keyPrefix: uniquePrefix("unreachable") });
    try {
      const error = await failureOf(store.ping());
      expect(error.code).toBe("STORE_ERROR");
      expect(error.message).toBe(
        `Redis at 127.0.0.1:${port} is unreachable (ping): connect ECONNREFUSED 127.0.0.1:${port} [ECONNREFUSED]`,
      );
      expect(error.message).not.toContain("s3cret-pw");
      expect(error.message).not.toContain(url);
      expect(error.cause).toBeInstanceOf(Error);

      const claim = await failureOf(
        store.claimDueJobs({
          queues: ["q"],
          names: null,
          limit: 1,
          now: new Date(),
          lockedUntil: new Date(),
          workerId: "w",
        }),
      );
      expect(claim.message).toContain(`Redis at 127.0.0.1:${port} is unreachable (claimDueJobs)`);
      expect(claim.message).toContain("[ECONNREFUSED]");
    } finally {
      await store.close();
    }
  });

  it("with a client passed in, still names the address and the driver's reason", async () => {
    const port = await closedPort();
    const client = new Redis({ host: "127.0.0.1", port, lazyConnect: true, maxRetriesPerRequest: 0 });
    const socketErrors: Error[] = [];
    client.on("error", (err: Error) => socketErrors.push(err));
    const store = new RedisStore({ client });
    try {
      const error = await failureOf(store.ping());
      expect(error.message).toMatch(
        new RegExp(`^Redis at 127\\.0\\.0\\.1:${port} is unreachable \\(ping\\): .+`),
      );
      // The store leaves the client's error events to its owner.
      expect(client.listenerCount("error")).toBe(1);
    } finally {
      await store.close();
      client.disconnect();
    }
  });
});

describe("a database the server does not have", () => {
  it("db or the URL's path out of range: every call fails naming the database, and nothing is written to database 0", async () => {
    const prefix = uniquePrefix("refused-db");
    const probe = new Redis(REDIS_URL);
    try {
      const databases = Number((await probe.config("GET", "databases"))[1]);
      for (const store of [
        new RedisStore({ url: REDIS_URL, db: databases + 83, keyPrefix: prefix }),
        new RedisStore({ url: `${REDIS_URL.replace(/\/\d*$/, "")}/${databases + 83}`, keyPrefix: prefix }),
      ]) {
        try {
          for (const call of [
            () => store.ping(),
            () => store.createJobs([newRecord()]),
            () => store.epoch(),
          ]) {
            const error = await failureOf(call());
            expect(error.message).toContain(`Redis refused database ${databases + 83}`);
          }
        } finally {
          await store.close();
        }
      }
      expect(await probe.keys(`${prefix}*`)).toEqual([]);
    } finally {
      probe.disconnect();
    }
  });
});

/** A job record to insert, as the runtime makes them. */
function newRecord() {
  const now = new Date();
  return {
    id: `refused-db-${Math.random().toString(36).slice(2)}`,
    name: "n",
    payload: null,
    queue: "default",
    priority: 0,
    maxRetries: 0,
    timeout: 1000,
    scheduledAt: now,
    createdAt: now,
    status: "pending" as const,
    metadata: {},
    uniqueKey: null,
  };
}
