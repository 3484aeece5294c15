import type { ModuleLoader } from "./load-module.js";
import type { Session } from "./session.js";

/** A reading of the store server's clock. */
export interface StoreClockReading {
  /** Where the time comes from: `PostgreSQL now()`, `Redis TIME`. */
  source: string;
  /** The server's time, taken about halfway through the round trip. */
  serverTime: Date;
  /** This machine's clock at the middle of the round trip (ms since the epoch). */
  localTime: number;
  /** How long the round trip took (ms): the reading is uncertain by half of it. */
  roundTripMs: number;
}

interface RedisLike {
  call(command: string, ...args: string[]): Promise<unknown>;
}

interface PgPoolModule {
  createPool(config: { connectionString: string; max: number; connectionTimeoutMillis: number }): {
    pool: { query(sql: string): Promise<{ rows: { now: Date }[] }> };
    end(): Promise<void>;
  };
}

/** Runs `read` between two readings of `now` and returns the server time with the local midpoint. */
async function timed(
  source: string,
  now: () => number,
  read: () => Promise<Date>,
): Promise<StoreClockReading> {
  const before = now();
  const serverTime = await read();
  const after = now();
  return { source, serverTime, localTime: (before + after) / 2, roundTripMs: after - before };
}

/**
 * Reads the clock of the store's server: `SELECT now()` on PostgreSQL (on a connection of its own,
 * closed before returning), `TIME` on Redis (on the store's connection). `null` for a store
 * without a server clock to compare (memory) or whose clock `sched` does not read (MongoDB).
 *
 * @throws whatever the server or driver throws when the query fails.
 */
export async function readStoreClock(
  session: Session,
  load: ModuleLoader,
  now: () => number,
): Promise<StoreClockReading | null> {
  if (session.storeKind === "redis") {
    const redis = (session.scheduler.store as unknown as { redis?: RedisLike }).redis;
    if (redis === undefined || typeof redis.call !== "function") return null;
    return timed("Redis TIME", now, async () => {
      const [seconds, micros] = (await redis.call("TIME")) as [string, string];
      return new Date(Number(seconds) * 1000 + Math.floor(Number(micros) / 1000));
    });
  }
  if (session.storeKind === "postgres") {
    const url = session.env.SCHEDULER_POSTGRES_URL;
    if (url === undefined) return null;
    const connection = (await load("@sched/store-postgres/connection")) as PgPoolModule;
    const owned = connection.createPool({ connectionString: url, max: 1, connectionTimeoutMillis: 5_000 });
    try {
      return await timed("PostgreSQL now()", now, async () => {
        const { rows } = await owned.pool.query("SELECT now() AS now");
        return new Date((rows[0] as { now: Date }).now);
      });
    } finally {
      await owned.end();
    }
  }
  return null;
}
