import { randomBytes } from "node:crypto";
import type { Store } from "@sched/core";
import { PostgresStore } from "@sched/store-postgres";
import { RedisStore } from "@sched/store-redis";
import { Redis } from "ioredis";
import pg from "pg";

const POSTGRES_URL = process.env.SCHED_POSTGRES_URL ?? "postgres://root@127.0.0.1:5432/test";
const REDIS_URL = process.env.SCHED_REDIS_URL ?? "redis://127.0.0.1:6379";

/** A store kind the API tests run on: a fresh, isolated store, and how to remove its data. */
export interface StoreKind {
  name: string;
  /** A new store on isolated data (`undefined`: the scheduler's own memory store). */
  create(): Store | undefined;
  /** Removes what the stores created left behind (schemas, keys). */
  cleanup(): Promise<void>;
}

export const memory: StoreKind = { name: "memory", create: () => undefined, cleanup: async () => {} };

/** PostgreSQL, one schema per store created (per test). */
export function postgres(): StoreKind {
  const schemas: string[] = [];
  return {
    name: "postgres",
    create: () => {
      const schema = `sched_http_${randomBytes(6).toString("hex")}`;
      schemas.push(schema);
      return new PostgresStore({ connectionString: POSTGRES_URL, schema, autoMigrate: true, poolSize: 3 });
    },
    async cleanup() {
      const admin = new pg.Client({ connectionString: POSTGRES_URL });
      await admin.connect();
      try {
        await admin.query("SET client_min_messages = warning");
        for (const schema of schemas.splice(0))
          await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await admin.end();
      }
    },
  };
}

/** Redis, one key prefix per store created (per test). */
export function redis(): StoreKind {
  const prefixes: string[] = [];
  return {
    name: "redis",
    create: () => {
      const keyPrefix = `sched-test:http:${randomBytes(5).toString("hex")}:`;
      prefixes.push(keyPrefix);
      return new RedisStore({ url: REDIS_URL, keyPrefix });
    },
    async cleanup() {
      const admin = new Redis(REDIS_URL);
      try {
        for (const keyPrefix of prefixes.splice(0)) {
          let cursor = "0";
          do {
            const [next, keys] = await admin.scan(cursor, "MATCH", `${keyPrefix}*`, "COUNT", 1000);
            cursor = next;
            if (keys.length > 0) await admin.del(...keys);
          } while (cursor !== "0");
        }
      } finally {
        await admin.quit();
      }
    },
  };
}
