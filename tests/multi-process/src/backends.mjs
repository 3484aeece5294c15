// @ts-check
// Builds the store and leader of one backend for an instance process, from its environment.
import { PostgresLeader } from "@sched/leader-postgres";
import { PostgresStore } from "@sched/store-postgres";

/**
 * @param {Record<string, string | undefined>} env
 * @returns {Promise<{ store: import("@sched/core").Store, leader: import("@sched/core").Leader & { close?(): Promise<void> } }>}
 */
export async function createBackend(env) {
  const backend = env.SCHED_BACKEND ?? "postgres";
  const instanceId = env.MP_INSTANCE ?? "instance";
  const ttl = Number(env.MP_LOCK_TTL ?? 2000);
  if (backend === "postgres") {
    const connectionString = env.MP_POSTGRES_URL ?? "postgres://root@127.0.0.1:5432/test";
    const schema = env.MP_SCHEMA ?? "public";
    const store = new PostgresStore({ connectionString, schema });
    const leader = new PostgresLeader({ connectionString, schema, instanceId, ttl });
    return { store, leader };
  }
  throw new Error(`unknown backend ${backend}`);
}
