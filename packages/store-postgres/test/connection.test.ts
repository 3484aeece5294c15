import { ConfigError } from "@sched/core";
import pg from "pg";
import { describe, expect, it } from "vitest";
import {
  type ConnectionChoice,
  checkConnectionChoice,
  connectionTarget,
  redact,
  storeError,
} from "../src/connection/index.js";

// The plumbing @sched/leader-postgres shares (its tests moved here with the module).

/** Where a connection string or a pool's settings point, as the leader describes its server. */
function describeServer(connectionString: string | undefined, pool: pg.Pool | undefined) {
  return connectionTarget(pool?.options ?? { connectionString });
}

function assertUsableConnectionString(connectionString: string | undefined, pool: pg.Pool | undefined): void {
  const choice: ConnectionChoice = {};
  if (connectionString !== undefined) choice.connectionString = connectionString;
  if (pool !== undefined) choice.pool = pool;
  checkConnectionChoice(choice);
}

describe("connectionTarget", () => {
  it("names a connection string's server by host:port and keeps its password secret", () => {
    const server = describeServer("postgres://app:p%40ss@db.internal:6543/app", undefined);
    expect(server.address).toBe("db.internal:6543");
    expect(redact("failed for p@ss and p%40ss", server.secrets)).toBe("failed for *** and ***");
  });

  it("uses the default port, and a socket directory given as the host parameter", () => {
    expect(describeServer("postgres://db/app", undefined).address).toBe("db:5432");
    expect(describeServer("postgres:///app?host=/var/run/postgresql", undefined).address).toBe(
      "/var/run/postgresql:5432",
    );
  });

  it("names a connection string that is not a URL generically, without echoing it", () => {
    const server = describeServer("host=db password=secret", undefined);
    expect(server.address).not.toContain("secret");
    expect(redact("bad: host=db password=secret", server.secrets)).toBe("bad: ***");
  });

  it.each([
    ["postgres://user:pa@ss@db.example:5433/app", "db.example:5433", "pa@ss"],
    ["postgres://user:p%zz@db.example:5433/app", "db.example:5433", "p%zz"],
    ["postgres://user:pw@garbage here:6000/app", "garbage here:6000", "pw"],
    ["postgres://user:pw@[::1]:6002/app", "[::1]:6002", "pw"],
  ])("names %j by the server pg connects to: %s", (connectionString, address, password) => {
    const server = describeServer(connectionString, undefined);
    expect(server.address).toBe(address);
    expect(redact(`auth failed for ${password}`, server.secrets)).toBe("auth failed for ***");
  });

  it("lets a connection string that names no server fall back to PGHOST/PGPORT or localhost:5432, as pg does", async () => {
    const before = { host: process.env.PGHOST, port: process.env.PGPORT };
    delete process.env.PGHOST;
    delete process.env.PGPORT;
    const pool = new pg.Pool({ connectionString: "postgres://", host: "ignored.example", port: 7000 });
    try {
      expect(describeServer(undefined, pool).address).toBe("localhost:5432");
      expect(describeServer("postgres://user@/app", undefined).address).toBe("localhost:5432");
    } finally {
      await pool.end();
      if (before.host !== undefined) process.env.PGHOST = before.host;
      if (before.port !== undefined) process.env.PGPORT = before.port;
    }
  });

  it("reads a pool's host, port and password", async () => {
    const pool = new pg.Pool({ host: "db.example", port: 7000, password: "hunter2" });
    try {
      const server = describeServer(undefined, pool);
      expect(server.address).toBe("db.example:7000");
      const error = storeError(new Error("auth failed for hunter2"), "release the lease", server);
      expect(error.message).toBe(
        "PostgreSQL release the lease failed (at db.example:7000): auth failed for ***",
      );
      expect(error.cause).toBeInstanceOf(Error);
    } finally {
      await pool.end();
    }
  });

  it("adds the error code, and names the server of a lost connection", () => {
    const server = describeServer("postgres://db/app", undefined);
    const error = storeError(
      Object.assign(new Error("boom"), { code: "57P01" }),
      "acquire the lease",
      server,
    );
    expect(error.message).toBe("PostgreSQL at db:5432 is unreachable (acquire the lease): boom [57P01]");
    expect(storeError("text", "x", server).message).toMatch(/: text$/);
  });
});

describe("checkConnectionChoice", () => {
  it.each([
    ["postgres://host:notaport/db", "port is not a number"],
    ["postgres://user:hunter2@host:99999/db", "port is not a number"],
    ["postgres://user:hun/ter2@host/db", "must be percent-encoded"],
    ["not a url hunter2", "is not a URL"],
    ["db.internal:5432/hunter2", "is not a URL"],
  ])("refuses %j as connectionString without echoing it", (connectionString, problem) => {
    let error: unknown;
    try {
      assertUsableConnectionString(connectionString, undefined);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).field).toBe("connectionString");
    expect((error as ConfigError).message).toContain(problem);
    expect((error as ConfigError).message).not.toMatch(/hunter2|hun.ter2|notaport|db\.internal/);
  });

  it("names pool for a pool made from such a string, and accepts usable or absent strings", async () => {
    const pool = new pg.Pool({ connectionString: "postgres://host:notaport/db" });
    try {
      expect(() => assertUsableConnectionString(undefined, pool)).toThrow(
        expect.objectContaining({ code: "CONFIG_INVALID", field: "pool" }),
      );
    } finally {
      await pool.end();
    }
    expect(() => assertUsableConnectionString("postgres://user:pa@ss@db/app", undefined)).not.toThrow();
    expect(() => assertUsableConnectionString("/var/run/postgresql", undefined)).not.toThrow();
    expect(() => assertUsableConnectionString("", undefined)).not.toThrow();
    expect(() => assertUsableConnectionString(undefined, undefined)).not.toThrow();
  });
});
