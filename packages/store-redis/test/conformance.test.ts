import { storeConformance } from "@sched/testing";
import { afterAll } from "vitest";
import { RedisStore } from "../src/index.js";
import { adminClient, deleteKeys, uniquePrefix } from "./helpers.js";

const client = adminClient();

afterAll(async () => {
  await client.quit();
});

// Each test gets a store under a prefix of its own, on a shared client; its keys are deleted after.
storeConformance("RedisStore", () => new RedisStore({ client, keyPrefix: uniquePrefix("conf") }), {
  cleanup: async (store) => deleteKeys(client, (store as RedisStore).keyPrefix),
});
