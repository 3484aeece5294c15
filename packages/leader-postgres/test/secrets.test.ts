import { PrivatePostgres } from "@sched/test-servers";
import { recordingLogger } from "@sched/testing";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresLeader, type PostgresLeaderOptions } from "../src/index.js";

// A password with characters that must be percent-encoded in a URL, so that it appears in
// different forms: as written, encoded, and in the connection string.
const PASSWORD = "p@ss:w/rd%2?#é 1";
const WRONG = "wr0ng:p@ss/%";
const server = new PrivatePostgres({ password: PASSWORD });

beforeAll(() => server.start(), 60_000);
afterAll(() => server.remove());

function urlWith(user: string, password: string | null, host = `127.0.0.1:${server.port}`): string {
  const auth =
    password === null
      ? encodeURIComponent(user)
      : `${encodeURIComponent(user)}:${encodeURIComponent(password)}`;
  return `postgres://${auth}@${host}/postgres`;
}

/** Every form a secret may take in a message: as written, and percent-encoded or decoded. */
function formsOf(secret: string): string[] {
  const forms = new Set([secret, encodeURIComponent(secret), encodeURI(secret)]);
  try {
    forms.add(decodeURIComponent(secret));
  } catch {
    // Not decodable: as written is enough.
  }
  return [...forms].filter((form) => form.length >= 4);
}

/** Where a secret appears in `value` (message, stack, cause chain, enumerable properties): the paths. */
function leaks(
  value: unknown,
  secrets: readonly string[],
  path = "value",
  seen = new Set<unknown>(),
): string[] {
  if (typeof value === "string") return secrets.some((secret) => value.includes(secret)) ? [path] : [];
  if (value === null || typeof value !== "object" || seen.has(value) || path.split(".").length > 12)
    return [];
  seen.add(value);
  const found: string[] = [];
  if (value instanceof Error) {
    found.push(...leaks(value.message, secrets, `${path}.message`, seen));
    found.push(...leaks(value.stack, secrets, `${path}.stack`, seen));
    found.push(...leaks(value.cause, secrets, `${path}.cause`, seen));
    if (value instanceof AggregateError) found.push(...leaks(value.errors, secrets, `${path}.errors`, seen));
  }
  for (const [key, field] of Object.entries(value))
    found.push(...leaks(field, secrets, `${path}.${key}`, seen));
  return found;
}

/**
 * Runs a leader on `options` through migrate, acquire, release and close, with `during` between
 * (to stop or freeze the server); returns what it threw and what it logged.
 */
async function exercise(
  options: PostgresLeaderOptions,
  during: () => Promise<void> = async () => {},
): Promise<{ thrown: unknown[]; logged: unknown[] }> {
  const logger = recordingLogger();
  const leader = new PostgresLeader({ ttl: "2s", logger, ...options });
  const thrown: unknown[] = [];
  const collect = (err: unknown) => {
    thrown.push(err);
  };
  try {
    await leader.migrate().catch(collect);
    await leader.acquire().catch(collect);
    await during();
    await leader.acquire().catch(collect);
    await leader.release().catch(collect);
  } finally {
    await leader.close();
    server.thaw();
  }
  return { thrown, logged: logger.lines };
}

function expectNoSecret(found: { thrown: unknown[]; logged: unknown[] }, secrets: readonly string[]): void {
  const forms = secrets.flatMap(formsOf);
  expect(found.thrown.length + found.logged.length).toBeGreaterThan(0);
  expect(leaks(found.thrown, forms, "thrown")).toEqual([]);
  expect(leaks(found.logged, forms, "logged")).toEqual([]);
}

describe("no secret in any error or log line of the leader", () => {
  it("a wrong password, and a wrong user", async () => {
    const wrong = urlWith("sched", WRONG);
    const found = await exercise({ connectionString: wrong });
    expect(found.thrown.length).toBeGreaterThan(0);
    expectNoSecret(found, [WRONG, wrong]);
    const nobody = urlWith("nobody", PASSWORD);
    expectNoSecret(await exercise({ connectionString: nobody }), [PASSWORD, nobody]);
  });

  it("the right password in the URL, while the server hangs and while it is down", async () => {
    const url = urlWith("sched", PASSWORD);
    const frozen = await exercise({ connectionString: url }, async () => server.freeze());
    expect(frozen.logged.length).toBeGreaterThan(0);
    expectNoSecret(frozen, [PASSWORD, url]);
    const down = await exercise({ connectionString: url }, async () => {
      await server.stop("immediate");
    });
    await server.start();
    expect(down.logged.length).toBeGreaterThan(0);
    expectNoSecret(down, [PASSWORD, url]);
  });

  it("the password of a pool you gave, and one in both the pool's settings and its URL", async () => {
    for (const config of [
      { connectionString: urlWith("sched", null), password: WRONG },
      { connectionString: urlWith("sched", WRONG), password: PASSWORD },
    ]) {
      const pool = new pg.Pool({ ...config, connectionTimeoutMillis: 2_000 });
      pool.on("error", () => {});
      try {
        expectNoSecret(await exercise({ pool }), [PASSWORD, WRONG, config.connectionString]);
      } finally {
        await pool.end();
      }
    }
  });

  it("an unreachable host, and a host that does not resolve, with a password in the URL", async () => {
    for (const host of ["127.0.0.1:1", "sched-no-such-host.invalid:5432"]) {
      const url = urlWith("sched", PASSWORD, host);
      const found = await exercise({ connectionString: url });
      expect(JSON.stringify(found.logged)).toContain(host);
      expectNoSecret(found, [PASSWORD, url]);
    }
  });

  it("options refused at construction never quote a connection string, wherever it was put", () => {
    const url = urlWith("sched", PASSWORD);
    const badPort = `postgres://sched:${encodeURIComponent(PASSWORD)}@127.0.0.1:notaport/postgres`;
    const errors = [
      () => new PostgresLeader({ connectionString: badPort }),
      () => new PostgresLeader({ connectionString: url.replace("postgres://", "") }),
      () => new PostgresLeader({ pool: url as never }),
      () => new PostgresLeader({ connectionString: url, ttl: url as never }),
      () => new PostgresLeader({ connectionString: url, logger: url as never }),
      () => new PostgresLeader({ url } as never),
    ].map((make) => {
      try {
        make();
      } catch (err) {
        return err;
      }
      throw new Error("expected a ConfigError");
    });
    for (const error of errors) expect(error).toMatchObject({ code: "CONFIG_INVALID" });
    expect(leaks(errors, [PASSWORD, url, badPort].flatMap(formsOf))).toEqual([]);
  });
});
