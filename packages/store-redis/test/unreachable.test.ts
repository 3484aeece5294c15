import { createServer } from "node:net";
import { StoreError } from "@sched/core";
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { RedisStore } from "../src/index.js";
import { uniquePrefix } from "./helpers.js";

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
