import { randomUUID } from "node:crypto";
import { RedisStore } from "@sched/store-redis";
import { Redis } from "ioredis";
import { afterAll } from "vitest";
import { controlSuite } from "./control-suite.js";
import { type BackendUnderTest, multiProcessSuite } from "./suite.js";
import { traceSuite } from "./trace-suite.js";

const REDIS_URL = process.env.SCHED_REDIS_URL ?? "redis://127.0.0.1:6379";
const admin = new Redis(REDIS_URL);
const prefixes: string[] = [];

afterAll(async () => {
  for (const prefix of prefixes) {
    let cursor = "0";
    do {
      const [next, keys] = await admin.scan(cursor, "MATCH", `*${prefix}*`, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await admin.del(...keys);
    } while (cursor !== "0");
  }
  await admin.quit();
});

const backend: BackendUnderTest = {
  name: "Redis",
  async isolate() {
    const prefix = `mp:${randomUUID().slice(0, 8)}:`;
    prefixes.push(prefix);
    const store = new RedisStore({ url: REDIS_URL, keyPrefix: prefix });
    return { env: { SCHED_BACKEND: "redis", MP_KEY_PREFIX: prefix, MP_REDIS_URL: REDIS_URL }, store };
  },
  traceable(env) {
    // The worker names its connections, so the test can kill exactly those (CLIENT KILL ID).
    const tag = `sched-mp-${randomUUID().slice(0, 8)}`;
    return { env: { ...env, MP_REDIS_NAME: tag }, tag };
  },
  schedulerEnv(env) {
    return {
      SCHEDULER_STORE: "redis",
      SCHEDULER_REDIS_URL: env.MP_REDIS_URL!,
      SCHEDULER_REDIS_KEY_PREFIX: env.MP_KEY_PREFIX!,
    };
  },
  async dropConnections(tag) {
    const clients = String(await admin.client("LIST"))
      .split("\n")
      .filter((line) => line.includes(` name=${tag} `));
    for (const line of clients) {
      const id = /(?:^|\s)id=(\d+)/.exec(line)?.[1];
      if (id) await admin.client("KILL", "ID", id);
    }
    return clients.length;
  },
};

multiProcessSuite(backend);
traceSuite(backend);
controlSuite(backend);
