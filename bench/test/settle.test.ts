import { createRequire } from "node:module";
import { afterAll, describe, expect, it, vi } from "vitest";
import { checkpoint, postgresUrl } from "../src/contenders/postgres.js";
import { GROUPS } from "../src/groups.js";

interface Client {
  connect(): Promise<unknown>;
  query(sql: string): Promise<{ rows: Array<Record<string, unknown>> }>;
  end(): Promise<void>;
}
const pg = createRequire(import.meta.url)("pg") as {
  Client: new (config: { connectionString: string }) => Client;
};

async function admin<T>(run: (client: Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: postgresUrl() });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** Checkpoints the server has made on request so far (pg_stat_bgwriter, PostgreSQL 15 and 16). */
function requestedCheckpoints(): Promise<number> {
  return admin(async (client) => {
    const { rows } = await client.query("SELECT checkpoints_req::int AS n FROM pg_stat_bgwriter");
    return rows[0]?.n as number;
  });
}

const ROLE = `sched_bench_no_checkpoint_${process.pid}`;
afterAll(() => admin((client) => client.query(`DROP ROLE IF EXISTS ${ROLE}`)));

describe("the PostgreSQL group's settle step", () => {
  it("checkpoints the server before each run", async () => {
    const postgres = GROUPS.find((g) => g.name === "postgres")!;
    expect(postgres.settle).toBeTypeOf("function");
    const before = await requestedCheckpoints();
    await postgres.settle!();
    expect(await requestedCheckpoints()).toBeGreaterThan(before);
    // The other groups have nothing to settle.
    expect(GROUPS.filter((g) => g.settle !== undefined).map((g) => g.name)).toEqual(["postgres"]);
  });

  it("warns once and goes on when the role may not checkpoint", async () => {
    await admin((client) => client.query(`CREATE ROLE ${ROLE} LOGIN`));
    const url = new URL(postgresUrl());
    url.username = ROLE;
    const warn = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      await checkpoint(url.toString());
      await checkpoint(url.toString());
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]?.[0])).toContain("no CHECKPOINT before each PostgreSQL run");
    } finally {
      warn.mockRestore();
    }
  });
});
