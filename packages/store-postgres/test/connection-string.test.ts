import { createServer } from "node:net";
import { ConfigError, StoreError } from "@sched/core";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { connectionTarget } from "../src/connection/store-error.js";
import { PostgresStore } from "../src/index.js";

/** A local TCP port that nothing listens on: one the system just handed out and took back. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no TCP port was assigned");
  return address.port;
}

function configErrorOf(make: () => unknown): ConfigError {
  try {
    make();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("a connection string pg cannot use", () => {
  it("postgres://, postgresql:// and socket: are accepted, in any case", () => {
    for (const url of [
      "postgres://h/db",
      "postgresql://h/db",
      "POSTGRES://h/db",
      "socket:/var/run/postgresql",
    ]) {
      expect(() => new PostgresStore({ connectionString: url }), url).not.toThrow();
    }
  });

  it.each([
    ["postgres://host:notaport/db", "port is not a number"],
    ["postgres://user:hunter2@host:99999/db", "port is not a number"],
    ["postgres://host:5432:6543/db", "port is not a number"],
    ["postgres://user:hun/ter2@host:5432/db", "must be percent-encoded"],
    ["postgres://user:hun#ter2@host:5432/db", "must be percent-encoded"],
    ["postgres://user:hun?ter2@host:5432/db", "must be percent-encoded"],
    ["not a url hunter2", "is not a URL"],
    ["db.internal:5432/hunter2", "is not a URL"],
    ["host=db.internal password=hunter2", "is not a URL"],
    ["mysql://secu:hunter2@db.internal:5432/test", "starts with mysql://, not postgres://"],
    ["redis://:hunter2@db.internal:6379/0", "starts with redis://, not postgres://"],
    ["http://user:hunter2@db.internal/test", "starts with http://, not postgres://"],
  ])("%j is a ConfigError naming connectionString at construction, without echoing it", (url, problem) => {
    const error = configErrorOf(() => new PostgresStore({ connectionString: url }));
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.field).toBe("connectionString");
    expect(error.message).toContain(problem);
    expect(error.message).not.toContain(url);
    expect(error.message).not.toMatch(/hunter2|hun.ter2|notaport|db\.internal/);
  });

  it("names pool when a pool passed in was made from such a string", () => {
    const pool = new pg.Pool({ connectionString: "postgres://host:notaport/db" });
    try {
      const error = configErrorOf(() => new PostgresStore({ pool }));
      expect(error.field).toBe("pool");
      expect(error.message).toContain("its connectionString does not parse as a URL");
    } finally {
      void pool.end();
    }
  });
});

describe("the server named in messages is the one pg connects to", () => {
  it.each([
    ["postgres://user:pa@ss@db.example:5433/app", "db.example:5433", ["pa@ss", "pa%40ss"]],
    ["postgres://user:p%zz@db.example:5433/app", "db.example:5433", ["p%zz"]],
    ["postgres://user:p%20w@db.example/app", "db.example:5432", ["p%20w", "p w"]],
    ["postgres://garbage here:6000/app", "garbage here:6000", []],
    ["postgres://user:pw@db.example/app?host=other.example&port=6001", "other.example:6001", ["pw"]],
    ["postgres://user:pw@[::1]:6002/app", "[::1]:6002", ["pw"]],
    ["postgresql://db.example/app?host=/var/run/postgresql", "/var/run/postgresql:5432", []],
    ["/var/run/postgresql app", "/var/run/postgresql:5432", []],
  ])("%j is %s", (connectionString, address, passwords) => {
    const target = connectionTarget({ connectionString, host: "ignored.example", port: 1 });
    expect(target.address).toBe(address);
    for (const password of passwords) expect(target.secrets).toContain(password);
    expect(target.secrets).toContain(connectionString);
  });

  it("falls back to PGHOST and PGPORT, or localhost:5432, only when the string names no server", () => {
    const before = { host: process.env.PGHOST, port: process.env.PGPORT };
    delete process.env.PGHOST;
    delete process.env.PGPORT;
    try {
      // As in pg, a connection string wins over host and port even when it names none.
      expect(connectionTarget({ connectionString: "postgres://", host: "h", port: 1 }).address).toBe(
        "localhost:5432",
      );
      expect(connectionTarget({ connectionString: "postgres://user@/app" }).address).toBe("localhost:5432");
      expect(connectionTarget({ host: "h", port: 7 }).address).toBe("h:7");
      // Nothing given (an unset DATABASE_URL): the address says it is pg's default.
      expect(connectionTarget({ connectionString: undefined }).address).toBe(
        "localhost:5432 (pg's default: no connectionString, host or PGHOST was given)",
      );
    } finally {
      if (before.host !== undefined) process.env.PGHOST = before.host;
      if (before.port !== undefined) process.env.PGPORT = before.port;
    }
  });

  it("an unreachable server with an odd but usable password is named by its real host and port", async () => {
    const port = await closedPort();
    for (const password of ["pa@ss", "p%zz"]) {
      const store = new PostgresStore({
        connectionString: `postgres://user:${password}@127.0.0.1:${port}/app`,
        poolConfig: { connectionTimeoutMillis: 5000 },
      });
      try {
        const error = await store.ping().then(
          () => null,
          (err: unknown) => err,
        );
        expect(error).toBeInstanceOf(StoreError);
        expect((error as StoreError).message).toContain(`PostgreSQL at 127.0.0.1:${port} is unreachable`);
        expect((error as StoreError).message).toContain("ECONNREFUSED");
        expect((error as StoreError).message).not.toContain("localhost:5432");
        expect((error as StoreError).message).not.toContain(password);
      } finally {
        await store.close();
      }
    }
  });
});
