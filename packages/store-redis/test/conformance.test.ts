import { storeConformance } from "@sched/testing/conformance";
import { Redis } from "ioredis";
import { afterAll } from "vitest";
import { RedisStore } from "../src/index.js";
import { adminClient, deleteKeys, peerOf, REDIS_URL, uniquePrefix } from "./helpers.js";

const client = adminClient();

afterAll(async () => {
  await client.quit();
});

// Each test gets a store under a prefix of its own, on a shared client; its keys are deleted after.
// A peer is another instance on the same prefix, with a client of its own. A wipe deletes every
// key of the prefix, as a restart without persistence or a FLUSHDB would.
storeConformance("RedisStore", () => new RedisStore({ client, keyPrefix: uniquePrefix("conf") }), {
  cleanup: async (store) => deleteKeys(client, (store as RedisStore).keyPrefix),
  openPeer: (store) => peerOf(store as RedisStore, () => new Redis(REDIS_URL)),
  wipe: async (store) => deleteKeys(client, (store as RedisStore).keyPrefix),
});
