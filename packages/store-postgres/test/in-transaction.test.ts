import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { inTransaction } from "../src/connection/pool.js";
import { POSTGRES_URL, uniqueName } from "./helpers.js";

describe("inTransaction", () => {
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 });
  const admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
  const table = uniqueName("in_tx");
  afterAll(async () => {
    await admin.query(`DROP TABLE IF EXISTS ${table}`);
    await pool.end();
    await admin.end();
  });

  it("commits what work did and returns its result, with the settings of `begin`", async () => {
    await admin.query(`CREATE TABLE ${table} (v int)`);
    const result = await inTransaction(
      pool,
      async (client) => {
        await client.query(`INSERT INTO ${table} VALUES (1)`);
        return (await client.query<{ t: string }>("SELECT current_setting('statement_timeout') AS t")).rows[0]
          ?.t;
      },
      "BEGIN; SET LOCAL statement_timeout = 1234",
    );
    expect(result).toBe("1234ms");
    expect((await admin.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n).toBe(1);
  });

  it("rolls back when work throws, and discards the client", async () => {
    const before = pool.totalCount;
    await expect(
      inTransaction(pool, async (client) => {
        await client.query(`INSERT INTO ${table} VALUES (2)`);
        throw new Error("work failed");
      }),
    ).rejects.toThrow("work failed");
    expect((await admin.query(`SELECT count(*)::int AS n FROM ${table} WHERE v = 2`)).rows[0].n).toBe(0);
    expect(pool.totalCount).toBeLessThan(Math.max(before, 1));
  });

  it("a connection cut while work waits fails the call, and no 'error' event is left unheard", async () => {
    const unheard: unknown[] = [];
    const onUncaught = (err: unknown): void => {
      unheard.push(err);
    };
    process.on("uncaughtException", onUncaught);
    try {
      await expect(
        inTransaction(pool, async (client) => {
          const { rows } = await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
          await admin.query("SELECT pg_terminate_backend($1)", [rows[0]?.pid]);
          // The client hears of it between statements: an 'error' event, then this query fails.
          await new Promise((resolve) => setTimeout(resolve, 100));
          await client.query("SELECT 1");
        }),
      ).rejects.toBeInstanceOf(Error);
      expect(unheard).toEqual([]);
      // The pool still serves: the broken client was not returned to it.
      expect((await inTransaction(pool, (client) => client.query("SELECT 1 AS one"))).rows[0].one).toBe(1);
    } finally {
      process.off("uncaughtException", onUncaught);
    }
  });
});
