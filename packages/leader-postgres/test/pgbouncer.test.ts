// PostgresLeader behind PgBouncer in transaction mode (`pool_mode = transaction`): a private
// PgBouncer on a free port in front of the test server. The lease is a row, so election works
// through it; what must change is the setting pg sends at connection start.
import { PrivatePgBouncer } from "@sched/test-servers";
import { recordingLogger, waitFor } from "@sched/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { fromEnv, PostgresLeader, type PostgresLeaderOptions } from "../src/index.js";
import { connectionString, uniqueName, uniqueSchema, useLockTableSchema } from "./postgres.js";

const bouncer = new PrivatePgBouncer({ target: connectionString, poolSize: 4 });
beforeAll(() => bouncer.start(), 60_000);
afterAll(() => bouncer.remove());

const schema = uniqueSchema("bouncer");
const admin = useLockTableSchema(schema);
const made: PostgresLeader[] = [];
afterEach(async () => {
  await Promise.all(made.splice(0).map((leader) => leader.close()));
});

/** A leader whose statements go through PgBouncer, in transaction mode. */
function pooledLeader(options: PostgresLeaderOptions = {}): PostgresLeader {
  const leader = new PostgresLeader({
    connectionString: bouncer.url,
    poolMode: "transaction",
    schema,
    logger: recordingLogger(),
    ...options,
  });
  made.push(leader);
  return leader;
}

describe("PostgresLeader behind PgBouncer in transaction mode", () => {
  it("without poolMode PgBouncer refuses the leader's connections, and the logged failure says to set poolMode", async () => {
    const logger = recordingLogger();
    const leader = new PostgresLeader({ connectionString: bouncer.url, schema, name: uniqueName(), logger });
    made.push(leader);
    expect(await leader.acquire()).toBe(false);
    const logged = logger.lines
      .map((line) => `${line.message} ${JSON.stringify(line.fields ?? {})}`)
      .join("\n");
    expect(logged).toMatch(/unsupported startup parameter: statement_timeout/);
    expect(logged).toContain('poolMode: \\"transaction\\"');
  });

  it("migrate() creates the lock table through PgBouncer", async () => {
    const fresh = uniqueSchema("bouncer_mig");
    const leader = pooledLeader({ schema: fresh, name: uniqueName() });
    try {
      await Promise.all([leader.migrate(), pooledLeader({ schema: fresh }).migrate()]);
      expect(await leader.acquire()).toBe(true);
    } finally {
      await admin.query(`DROP SCHEMA IF EXISTS "${fresh}" CASCADE`);
    }
  });

  it("two leaders elect one, hand over on release, and fail over when the leader stops renewing, each time with a higher term", async () => {
    const name = uniqueName();
    const a = pooledLeader({ instanceId: "a", name, ttl: 500 });
    const b = pooledLeader({ instanceId: "b", name, ttl: 500 });
    expect(await a.acquire()).toBe(true);
    expect(await b.acquire()).toBe(false);
    expect(await a.acquire()).toBe(true); // a renewal keeps the term
    const first = a.term;
    await a.release();
    expect(await b.acquire()).toBe(true);
    expect(b.term).toBeGreaterThan(first);
    // b stops renewing (a process that hangs or died): a takes over once the lease has expired on
    // the server, not before.
    expect(await a.acquire()).toBe(false);
    await waitFor(() => a.acquire(), {
      timeout: "5s",
      description: "a to take over after the lease expired",
    });
    expect(a.term).toBeGreaterThan(b.term);
    expect(b.isLeader()).toBe(false);
    const { rows } = await admin.query(
      `SELECT holder, term::integer AS term FROM "${schema}".scheduler_locks WHERE name = $1`,
      [name],
    );
    expect(rows).toEqual([{ holder: "a", term: a.term }]);
  });

  it("a renewal stuck on a locked lease row is cancelled by the server (SET LOCAL statement_timeout), freeing its backend", async () => {
    const name = uniqueName();
    // Named, so that its server session can be found: PgBouncer passes application_name on.
    const applicationName = `leader-${name.slice(-12)}`;
    const url = new URL(bouncer.url);
    url.searchParams.set("application_name", applicationName);
    const leader = pooledLeader({ connectionString: url.toString(), name, ttl: 1_000 });
    expect(await leader.acquire()).toBe(true);
    const blocker = await admin.connect();
    try {
      await blocker.query("BEGIN");
      await blocker.query(`SELECT * FROM "${schema}".scheduler_locks WHERE name = $1 FOR UPDATE`, [name]);
      const waiting = async (): Promise<number> => {
        const { rows } = await admin.query<{ n: number }>(
          "SELECT count(*)::integer AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND application_name = $1",
          [applicationName],
        );
        return rows[0]?.n ?? 0;
      };
      const renewal = leader.acquire();
      await waitFor(async () => (await waiting()) === 1, {
        timeout: "5s",
        description: "the renewal to wait on the row",
      });
      expect(await renewal).toBe(false);
      // The server ends the waiting statement at the leader's limit (90% of the TTL), while the row
      // is still locked: PgBouncer cannot cancel it for a client that went away.
      await waitFor(async () => (await waiting()) === 0, {
        timeout: "5s",
        description: "the server to cancel the renewal",
      });
    } finally {
      await blocker.query("ROLLBACK");
      blocker.release();
    }
  });

  it("fromEnv with SCHEDULER_POSTGRES_POOL_MODE=transaction leads through PgBouncer", async () => {
    const leader = fromEnv({
      SCHEDULER_POSTGRES_URL: bouncer.url,
      SCHEDULER_POSTGRES_SCHEMA: schema,
      SCHEDULER_POSTGRES_POOL_MODE: "transaction",
    });
    made.push(leader);
    expect(await leader.acquire()).toBe(true);
  });

  it("refuses a poolMode other than session or transaction", () => {
    expect(
      () => new PostgresLeader({ connectionString: bouncer.url, poolMode: "statement" as never }),
    ).toThrow(expect.objectContaining({ code: "CONFIG_INVALID", field: "poolMode" }));
  });
});
