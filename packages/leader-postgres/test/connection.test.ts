import pg from "pg";
import { describe, expect, it } from "vitest";
import { describeServer, redact, toStoreError } from "../src/connection.js";

describe("describeServer", () => {
  it("names a connection string's server by host:port and keeps its password secret", () => {
    const server = describeServer("postgres://app:p%40ss@db.internal:6543/app", undefined);
    expect(server.address).toBe("db.internal:6543");
    expect(redact("failed for p@ss and p%40ss", server)).toBe("failed for *** and ***");
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
    expect(redact("bad: host=db password=secret", server)).toBe("bad: ***");
  });

  it("reads a pool's host, port and password", async () => {
    const pool = new pg.Pool({ host: "db.example", port: 7000, password: "hunter2" });
    try {
      const server = describeServer(undefined, pool);
      expect(server.address).toBe("db.example:7000");
      const error = toStoreError(new Error("auth failed for hunter2"), "release the lease", server);
      expect(error.message).toBe(
        "PostgresLeader could not release the lease on PostgreSQL at db.example:7000: auth failed for ***",
      );
      expect(error.cause).toBeInstanceOf(Error);
    } finally {
      await pool.end();
    }
  });

  it("adds the error code when the message lacks it", () => {
    const server = describeServer("postgres://db/app", undefined);
    const error = toStoreError(
      Object.assign(new Error("boom"), { code: "57P01" }),
      "acquire the lease",
      server,
    );
    expect(error.message).toBe(
      "PostgresLeader could not acquire the lease on PostgreSQL at db:5432: boom (57P01)",
    );
    expect(toStoreError("text", "x", server).message).toMatch(/: text$/);
  });
});
