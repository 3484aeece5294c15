import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll } from "vitest";
import { PostgresLeader, type PostgresLeaderOptions } from "../src/index.js";

/** The test database; tests isolate themselves with a schema per file. */
export const connectionString = process.env.SCHED_POSTGRES_URL ?? "postgres://root@127.0.0.1:5432/test";

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A unique schema name for one test file. */
export function uniqueSchema(label: string): string {
  return `sched_leader_${label}_${randomUUID().replaceAll("-", "").slice(0, 10)}`;
}

/** A unique lease name, so tests of one file never compete. */
export function uniqueName(): string {
  return `lease-${randomUUID()}`;
}

/** `connectionString` with an `application_name`, to find a leader's sessions in pg_stat_activity. */
export function withApplicationName(applicationName: string): string {
  const url = new URL(connectionString);
  url.searchParams.set("application_name", applicationName);
  return url.toString();
}

/**
 * Sets up the file's schema with the lock table before its tests and drops it afterwards. Returns
 * an admin pool for inspecting rows, ended after the tests.
 */
export function useLockTableSchema(schema: string, options: { migrate?: boolean } = {}): pg.Pool {
  const admin = new pg.Pool({ connectionString, max: 4 });
  beforeAll(async () => {
    if (options.migrate === false) return;
    const leader = new PostgresLeader({ connectionString, schema });
    await leader.migrate();
    await leader.close();
  });
  afterAll(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });
  return admin;
}

/** Creates leaders for one test and closes them all afterwards. */
export function leaderFactory(defaults: PostgresLeaderOptions): {
  make(options?: PostgresLeaderOptions): PostgresLeader;
  closeAll(): Promise<void>;
} {
  const made: PostgresLeader[] = [];
  return {
    make(options = {}) {
      const connection = options.pool ? {} : { connectionString };
      const leader = new PostgresLeader({ ...connection, ...defaults, ...options });
      made.push(leader);
      return leader;
    },
    async closeAll() {
      await Promise.all(made.splice(0).map((leader) => leader.close()));
    },
  };
}
