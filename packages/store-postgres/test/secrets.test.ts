import { createScheduler, uuidv7Generator } from "@sched/core";
import { PrivatePostgres } from "@sched/test-servers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresStore, type PostgresStoreOptions } from "../src/index.js";

// A password with characters that must be percent-encoded in a URL, so that it appears in
// different forms: as written, encoded, and in the connection string.
const PASSWORD = "p@ss:w/rd%2?#é 1";
const WRONG = "wr0ng:p@ss/%";
const server = new PrivatePostgres({ password: PASSWORD });
const nextId = uuidv7Generator();

beforeAll(() => server.start(), 60_000);
afterAll(() => server.remove());

/** A URL to the private server with `user` and `password` percent-encoded. */
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

/**
 * Where a secret appears in `value`: its message, stack, cause chain, the errors of an
 * AggregateError, and every enumerable property, nested ones included. Returns the paths.
 */
function leaks(
  value: unknown,
  secrets: readonly string[],
  path = "error",
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

/** The errors the calls of a store on `options` reject with (each call is awaited in turn). */
async function errorsOf(options: PostgresStoreOptions, calls = basicCalls): Promise<unknown[]> {
  const store = new PostgresStore({ connectionTimeout: "2s", statementTimeout: "2s", ...options });
  const errors: unknown[] = [];
  try {
    for (const call of calls) {
      await call(store).catch((err: unknown) => errors.push(err));
    }
  } finally {
    await store.close();
  }
  return errors;
}

function newJob() {
  const now = new Date();
  return {
    id: nextId(),
    name: "secret",
    payload: null,
    queue: "default",
    priority: 0,
    maxRetries: 0,
    timeout: 0,
    scheduledAt: now,
    createdAt: now,
    status: "pending" as const,
    metadata: {},
    uniqueKey: null,
  };
}

const basicCalls: Array<(store: PostgresStore) => Promise<unknown>> = [
  (store) => store.ping(),
  (store) => store.migrate(),
  (store) => store.createJobs([newJob()]),
  (store) => store.epoch(),
];

/** Asserts that `errors` (at least `atLeast` of them) hold none of `secrets` in any form. */
function expectNoSecret(errors: readonly unknown[], secrets: readonly string[], atLeast = 1): void {
  expect(errors.length).toBeGreaterThanOrEqual(atLeast);
  const forms = secrets.flatMap(formsOf);
  for (const error of errors) expect(leaks(error, forms)).toEqual([]);
}

describe("no secret in any error of the store", () => {
  it("a wrong password, written with characters that need encoding", async () => {
    const url = urlWith("sched", WRONG);
    const errors = await errorsOf({ connectionString: url });
    expect(errors).toHaveLength(basicCalls.length);
    expect((errors[0] as Error).message).toMatch(/password authentication failed/);
    expectNoSecret(errors, [WRONG, url], basicCalls.length);
  });

  it("a wrong user", async () => {
    const url = urlWith("nobody", PASSWORD);
    const errors = await errorsOf({ connectionString: url });
    expectNoSecret(errors, [PASSWORD, url], basicCalls.length);
  });

  it("the right password, percent-encoded in the URL: errors of statements, of a server gone, and of timeouts", async () => {
    const url = urlWith("sched", PASSWORD);
    const store = new PostgresStore({
      connectionString: url,
      schema: "secrets",
      connectionTimeout: "1s",
      statementTimeout: "1s",
    });
    const errors: unknown[] = [];
    const collect = (err: unknown) => {
      errors.push(err);
    };
    try {
      // Tables not migrated yet.
      await store.ping().catch(collect);
      await store.migrate();
      // A statement the server refuses (text cannot hold NUL).
      await store.createJobs([{ ...newJob(), uniqueKey: "nul\u0000" }]).catch(collect);
      // A server that hangs: timeouts.
      server.freeze();
      await store.ping().catch(collect);
      await store.stats().catch(collect);
      server.thaw();
      // A server that is gone: refused connections.
      await server.stop("immediate");
      await store.ping().catch(collect);
      await store.epoch().catch(collect);
      await server.start();
      await store.ping();
      // A scheduler on it logs the store's errors: they hold no secret either.
    } finally {
      server.thaw();
      await store.close();
    }
    expect(errors.map((err) => (err as { code?: string }).code)).toEqual([
      "MIGRATION_REQUIRED",
      "STORE_ERROR",
      "STORE_TIMEOUT",
      "STORE_TIMEOUT",
      "STORE_ERROR",
      "STORE_ERROR",
    ]);
    expectNoSecret(errors, [PASSWORD, url], 6);
  });

  it("the password in poolConfig.password, wrong and right", async () => {
    const noPassword = urlWith("sched", null);
    const wrong = await errorsOf({ connectionString: noPassword, poolConfig: { password: WRONG } });
    expectNoSecret(wrong, [WRONG], basicCalls.length);
    const right = new PostgresStore({ connectionString: noPassword, poolConfig: { password: PASSWORD } });
    try {
      await right.ping().catch(() => {});
      await server.stop("fast");
      const refused = await right.ping().catch((err: unknown) => err);
      expectNoSecret([refused], [PASSWORD]);
    } finally {
      await server.start();
      await right.close();
    }
  });

  it("a password in poolConfig.password and another in the URL", async () => {
    const url = urlWith("sched", WRONG);
    const errors = await errorsOf({ connectionString: url, poolConfig: { password: PASSWORD } });
    expectNoSecret(errors, [PASSWORD, WRONG, url], basicCalls.length);
  });

  it("an unreachable host, and a host that does not resolve, with a password in the URL", async () => {
    for (const host of ["127.0.0.1:1", "sched-no-such-host.invalid:5432"]) {
      const url = urlWith("sched", PASSWORD, host);
      const errors = await errorsOf({ connectionString: url });
      expect((errors[0] as Error).message).toContain(host);
      expectNoSecret(errors, [PASSWORD, url], basicCalls.length);
    }
  });

  it("options refused at construction: the ConfigError never quotes a connection string, wherever it was put", () => {
    const url = urlWith("sched", PASSWORD);
    const badPort = `postgres://sched:${encodeURIComponent(PASSWORD)}@127.0.0.1:notaport/postgres`;
    const attempts: Array<() => unknown> = [
      () => new PostgresStore({ connectionString: badPort }),
      () => new PostgresStore({ connectionString: url.replace("postgres://", "") }),
      () => new PostgresStore({ poolConfig: url as never }),
      () => new PostgresStore({ pool: url as never }),
      () => new PostgresStore({ connectionString: url, applicationName: [url] as never }),
      () => new PostgresStore({ connectionString: url, notify: url as never }),
      () => new PostgresStore({ connectionString: url, statementTimeout: url as never }),
      () => new PostgresStore({ url } as never),
    ];
    const errors = attempts.map((attempt) => {
      try {
        attempt();
      } catch (err) {
        return err;
      }
      throw new Error("expected a ConfigError");
    });
    for (const error of errors) expect(error).toMatchObject({ code: "CONFIG_INVALID" });
    expectNoSecret(errors, [PASSWORD, url, badPort], attempts.length);
  });

  it("a scheduler on a store with a wrong password logs no secret", async () => {
    const url = urlWith("sched", WRONG);
    const store = new PostgresStore({ connectionString: url, connectionTimeout: "1s" });
    const logged: unknown[] = [];
    const logger = {
      debug: (...args: unknown[]) => logged.push(args),
      info: (...args: unknown[]) => logged.push(args),
      warn: (...args: unknown[]) => logged.push(args),
      error: (...args: unknown[]) => logged.push(args),
    };
    const scheduler = createScheduler({ store, logger });
    try {
      const failure = await scheduler.start().catch((err: unknown) => err);
      expectNoSecret([failure], [WRONG, url]);
      await scheduler.enqueue({ name: "x", payload: null }).catch((err: unknown) => logged.push(err));
    } finally {
      await scheduler.stop({ timeout: 0 });
      await store.close();
    }
    expect(leaks(logged, [WRONG, url].flatMap(formsOf))).toEqual([]);
  });
});
