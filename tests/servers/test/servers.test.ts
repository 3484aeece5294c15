import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { PrivatePgBouncer, PrivatePostgres, PrivateRedis } from "../src/index.mjs";

describe("PrivatePostgres", () => {
  const server = new PrivatePostgres({ password: "s3cret" });
  afterAll(() => server.remove());

  it("starts, checks the password, crashes and restarts with committed data kept, freezes and thaws", async () => {
    expect(PrivatePostgres.available()).toBe(true);
    await server.start();
    await server.query("CREATE TABLE t (n int)");
    await server.query("INSERT INTO t VALUES (1)");
    const wrong = new pg.Client({ connectionString: server.url.replace("s3cret", "wrong") });
    wrong.on("error", () => {});
    await expect(wrong.connect()).rejects.toThrow(/password authentication failed/);
    await server.restart("immediate");
    expect((await server.query("SELECT n FROM t")).rows).toEqual([{ n: 1 }]);
    server.freeze();
    const frozen = new pg.Client({ connectionString: server.url, connectionTimeoutMillis: 500 });
    frozen.on("error", () => {});
    await expect(frozen.connect()).rejects.toThrow();
    server.thaw();
    expect(await server.ready()).toBe(true);
  }, 60_000);
});

describe("PrivateRedis", () => {
  const server = new PrivateRedis({ password: "pw" });
  afterAll(() => server.remove());

  it("starts with a password, restarts empty, freezes and thaws", async () => {
    await server.start();
    const client = new Redis(server.url, { maxRetriesPerRequest: 1 });
    client.on("error", () => {});
    await client.set("k", "v");
    await server.restartEmpty();
    await expect(client.get("k")).resolves.toBeNull();
    server.freeze();
    const late = await Promise.race([client.ping(), new Promise((r) => setTimeout(() => r("timeout"), 300))]);
    expect(late).toBe("timeout");
    server.thaw();
    await expect(client.ping()).resolves.toBe("PONG");
    client.disconnect();
  });
});

describe("PrivatePgBouncer", () => {
  const bouncer = new PrivatePgBouncer({ poolSize: 4 });
  /** Clients to end after the test. */
  const clients: pg.Client[] = [];
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.end().catch(() => {})));
    await bouncer.remove();
  });

  async function connect(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: bouncer.url });
    client.on("error", () => {});
    clients.push(client);
    await client.connect();
    return client;
  }

  /** The server backend that runs the next statement of `client`. */
  async function backendOf(client: pg.Client): Promise<number> {
    const { rows } = await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
    return (rows[0] as { pid: number }).pid;
  }

  it("pools by transaction: two statements of one client outside a transaction run on different backends, and session state is lost", async () => {
    expect(PrivatePgBouncer.available()).toBe(true);
    await bouncer.start();
    expect(await bouncer.admin("SHOW VERSION")).not.toHaveLength(0);
    const a = await connect();
    const b = await connect();
    // Each client's connection is handed back after every transaction: while b holds the backend
    // a ran on (inside a transaction), a's next statement must run on another one. In session
    // mode a would keep its backend for as long as it stays connected.
    const first = await backendOf(a);
    await b.query("BEGIN");
    expect(await backendOf(b)).toBe(first);
    const second = await backendOf(a);
    expect(second).not.toBe(first);

    // A named prepared statement exists only on the backend that prepared it.
    await b.query("COMMIT");
    await a.query({ name: "sched_probe", text: "SELECT 1 AS one" });
    await b.query("BEGIN");
    await backendOf(b);
    await expect(a.query({ name: "sched_probe", text: "SELECT 1 AS one" })).rejects.toThrow(
      /prepared statement "sched_probe" does not exist/,
    );
    await b.query("COMMIT");

    // A session-level advisory lock stays with the backend, not with the client: a's unlock lands
    // elsewhere and finds no lock to release.
    const [lockBackend] = (
      await a.query<{ pid: number }>("SELECT pg_advisory_lock(4242), pg_backend_pid() AS pid")
    ).rows;
    await b.query("BEGIN");
    expect(await backendOf(b)).toBe(lockBackend?.pid);
    const { rows } = await a.query<{ released: boolean }>("SELECT pg_advisory_unlock(4242) AS released");
    expect(rows[0]?.released).toBe(false);
    await b.query("SELECT pg_advisory_unlock(4242)");
    await b.query("COMMIT");
  });
});
