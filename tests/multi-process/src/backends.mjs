// @ts-check
// Builds the store and leader of one backend for an instance process, from its environment.

/**
 * @param {Record<string, string | undefined>} env
 * @returns {Promise<{ store: import("@sched/core").Store, leader: import("@sched/core").Leader & { close?(): Promise<void> } }>}
 */
export async function createBackend(env) {
  const backend = env.SCHED_BACKEND ?? "postgres";
  const instanceId = env.MP_INSTANCE ?? "instance";
  const ttl = Number(env.MP_LOCK_TTL ?? 2000);
  if (backend === "postgres") {
    // Each backend's packages are loaded only when used.
    const { PostgresStore } = await import("@sched/store-postgres");
    const { PostgresLeader } = await import("@sched/leader-postgres");
    const connectionString = env.MP_POSTGRES_URL ?? "postgres://root@127.0.0.1:5432/test";
    const schema = env.MP_SCHEMA ?? "public";
    const store = new PostgresStore({ connectionString, schema });
    const leader = new PostgresLeader({ connectionString, schema, instanceId, ttl });
    return { store, leader };
  }
  if (backend === "redis") {
    const { RedisStore } = await import("@sched/store-redis");
    const { RedisLeader } = await import("@sched/leader-redis");
    const { Redis } = await import("ioredis");
    const url = env.MP_REDIS_URL ?? "redis://127.0.0.1:6379";
    const keyPrefix = env.MP_KEY_PREFIX ?? "mp:";
    // Named connections, so a test can find and kill exactly this instance's clients.
    const client = new Redis(url, {
      connectionName: env.MP_REDIS_NAME ?? "sched-mp",
      maxRetriesPerRequest: null,
    });
    const store = new RedisStore({ client, keyPrefix });
    const leader = new RedisLeader({ client, keyPrefix, instanceId, ttl });
    return {
      store: Object.assign(store, {
        async close() {
          await RedisStore.prototype.close.call(store);
          await client.quit().catch(() => client.disconnect());
        },
      }),
      leader,
    };
  }
  if (backend === "mongodb") {
    const { MongoStore } = await import("@sched/store-mongodb");
    const { MongoLeader } = await import("@sched/leader-mongodb");
    const url = env.MP_MONGODB_URL ?? "mongodb://127.0.0.1:27017/sched_mp";
    const store = new MongoStore({ url });
    const leader = new MongoLeader({ url, instanceId, ttl });
    return { store, leader };
  }
  throw new Error(`unknown backend ${backend}`);
}
