/**
 * Not queues: the least a durable enqueue-and-start can cost on each server, measured in the same
 * run as the queues so that their idle latency can be read against what the server allows. Each
 * makes one write per job on one connection and calls the handler as soon as the server answers,
 * as a queue that inserts a job already claimed by its own idle worker would at best.
 *
 * Only the idle-latency workload runs them (see their registry entries): a bulk insert or a
 * processing loop without a queue's work would measure nothing a queue could reach.
 */
import { createRequire } from "node:module";
import { Redis } from "ioredis";
import type { BenchHandler, BenchJob, Contender } from "../contender.js";
import { dropSchema, postgresUrl } from "./postgres.js";
import { deleteKeys, redisUrl } from "./redis.js";

/** The schema of the PostgreSQL floor's table: dropped before and after the run. */
const SCHEMA = "bench_floor";

/** The key prefix of the Redis floor's keys: deleted before and after the run. */
const PREFIX = "bench-floor:";

// As contenders/postgres.ts: `pg` through `require`, with the little of its API used here typed.
interface PgClient {
  connect(): Promise<unknown>;
  query(sql: string, values?: unknown[]): Promise<unknown>;
  end(): Promise<void>;
}
interface PgModule {
  Client: new (config: { connectionString: string; application_name?: string }) => PgClient;
}

/** What both floors share: the handler given by `startWorker`, called after each write. */
function floorContender(
  name: string,
  open: () => Promise<void>,
  write: (job: BenchJob) => Promise<void>,
  close: () => Promise<void>,
): Contender {
  let handler: BenchHandler | null = null;
  return {
    async setup() {
      await open();
    },
    async enqueueBulk() {
      throw new Error(`${name} measures idle latency only`);
    },
    async enqueueOne(job) {
      await write(job);
      handler?.({ i: job.i });
    },
    async startWorker(h) {
      handler = h;
    },
    async teardown() {
      handler = null;
      await close();
    },
  };
}

/**
 * PostgreSQL: one `INSERT` of the job's payload into a table with a `bigint` identity key only,
 * in its own transaction, committed with the server's `synchronous_commit` (a WAL flush, as the
 * insert of any job a queue must not lose).
 */
export function createPostgresFloor(): Contender {
  const url = postgresUrl();
  let client: PgClient | null = null;
  const table = `"${SCHEMA}"."jobs"`;
  return floorContender(
    "postgres-floor",
    async () => {
      await dropSchema(url, SCHEMA);
      const pg = createRequire(import.meta.url)("pg") as PgModule;
      client = new pg.Client({ connectionString: url, application_name: "sched-bench-floor" });
      await client.connect();
      await client.query(`CREATE SCHEMA "${SCHEMA}"`);
      await client.query(
        `CREATE TABLE ${table} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, payload jsonb NOT NULL)`,
      );
    },
    async (job) => {
      if (!client) throw new Error("postgres-floor: setup() was not called");
      await client.query(`INSERT INTO ${table} (payload) VALUES ($1)`, [JSON.stringify({ i: job.i })]);
    },
    async () => {
      try {
        await client?.end();
      } finally {
        client = null;
        await dropSchema(url, SCHEMA);
      }
    },
  );
}

/** Redis: one `SET` of the job's payload under a key of its own, one round trip. */
export function createRedisFloor(): Contender {
  const url = redisUrl();
  let client: Redis | null = null;
  return floorContender(
    "redis-floor",
    async () => {
      await deleteKeys(url, [PREFIX]);
      client = new Redis(url, { lazyConnect: true, connectionName: "sched-bench-floor" });
      await client.connect();
    },
    async (job) => {
      if (!client) throw new Error("redis-floor: setup() was not called");
      await client.set(`${PREFIX}${job.i}`, JSON.stringify({ i: job.i }));
    },
    async () => {
      try {
        client?.disconnect();
      } finally {
        client = null;
        await deleteKeys(url, [PREFIX]);
      }
    },
  );
}
