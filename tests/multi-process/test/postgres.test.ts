import { randomUUID } from "node:crypto";
import { PostgresStore } from "@sched/store-postgres";
import pg from "pg";
import { afterAll } from "vitest";
import { controlSuite } from "./control-suite.js";
import { crashSuite } from "./crash-suite.js";
import { type BackendUnderTest, multiProcessSuite } from "./suite.js";
import { traceSuite } from "./trace-suite.js";

const BASE_URL = process.env.SCHED_POSTGRES_URL ?? "postgres://root@127.0.0.1:5432/test";
const admin = new pg.Pool({ connectionString: BASE_URL, max: 2 });
const schemas: string[] = [];

afterAll(async () => {
  for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
});

const backend: BackendUnderTest = {
  name: "PostgreSQL",
  async isolate() {
    const schema = `mp_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
    schemas.push(schema);
    const store = new PostgresStore({ connectionString: BASE_URL, schema });
    await store.migrate();
    return { env: { SCHED_BACKEND: "postgres", MP_SCHEMA: schema, MP_POSTGRES_URL: BASE_URL }, store };
  },
  traceable(env) {
    // Every connection of the worker carries this application_name, so the test can end exactly those.
    const tag = `sched-mp-${randomUUID().slice(0, 8)}`;
    const url = new URL(BASE_URL);
    url.searchParams.set("application_name", tag);
    return { env: { ...env, MP_POSTGRES_URL: url.toString() }, tag };
  },
  schedulerEnv(env) {
    return {
      SCHEDULER_STORE: "postgres",
      SCHEDULER_POSTGRES_URL: env.MP_POSTGRES_URL!,
      SCHEDULER_POSTGRES_SCHEMA: env.MP_SCHEMA!,
    };
  },
  async dropConnections(tag) {
    const killed = await admin.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
      [tag],
    );
    return killed.rowCount ?? 0;
  },
};

multiProcessSuite(backend);
traceSuite(backend);
crashSuite();
controlSuite(backend);
