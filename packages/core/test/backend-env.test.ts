import { describe, expect, it } from "vitest";
import { readBackendEnv } from "../src/config/backend-env.js";
import { ConfigError } from "../src/errors.js";

/** A backend's table, as an adapter declares it. */
const VARIABLES = {
  SCHEDULER_POSTGRES_URL: { kind: "url", protocols: ["postgres:", "postgresql:"] },
  SCHEDULER_POSTGRES_SCHEMA: {
    kind: "text",
    pattern: /^[a-z_][a-z0-9_]{0,40}$/,
    expected: "a lowercase SQL identifier",
  },
  SCHEDULER_POSTGRES_POOL: { kind: "integer", min: 1 },
  SCHEDULER_POSTGRES_AUTO_MIGRATE: { kind: "boolean" },
  SCHEDULER_POSTGRES_PASSWORD: { kind: "text", secret: true },
  SCHEDULER_POSTGRES_NOTE: { kind: "text" },
} as const;

/** The ConfigError `readBackendEnv(env, "postgres", VARIABLES)` throws; fails the test otherwise. */
function configErrorOf(env: Record<string, string | undefined>): ConfigError {
  try {
    readBackendEnv(env, "postgres", VARIABLES);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(Object.keys(env))}`);
}

describe("readBackendEnv", () => {
  it("reads the backend's variables, trimmed and parsed, and the scheduler's configuration", () => {
    const { config, settings } = readBackendEnv(
      {
        SCHEDULER_STORE: "memory",
        SCHEDULER_POSTGRES_URL: " postgres://u:secret@db:5432/app ",
        SCHEDULER_POSTGRES_SCHEMA: "jobs",
        SCHEDULER_POSTGRES_POOL: "4",
        SCHEDULER_POSTGRES_AUTO_MIGRATE: "yes",
        SCHEDULER_POSTGRES_PASSWORD: "hunter2",
        SCHEDULER_POSTGRES_NOTE: "",
        SCHEDULER_INSTANCE_ID: "web-1",
        SCHEDULER_LOCK_TTL: "7s",
      },
      "postgres",
      VARIABLES,
    );
    expect(config).toEqual({ store: "postgres", distributed: { instanceId: "web-1", lockTTL: 7000 } });
    expect(settings).toEqual({
      SCHEDULER_POSTGRES_URL: "postgres://u:secret@db:5432/app",
      SCHEDULER_POSTGRES_SCHEMA: "jobs",
      SCHEDULER_POSTGRES_POOL: 4,
      SCHEDULER_POSTGRES_AUTO_MIGRATE: true,
      SCHEDULER_POSTGRES_PASSWORD: "hunter2",
    });
  });

  it.each([
    [
      "SCHEDULER_POSTGRES_SCHEMA",
      "Jobs",
      /SCHEDULER_POSTGRES_SCHEMA: expected a lowercase SQL identifier, got "Jobs"/,
    ],
    ["SCHEDULER_POSTGRES_POOL", "0", /SCHEDULER_POSTGRES_POOL: expected an integer >= 1, got "0"/],
    [
      "SCHEDULER_POSTGRES_AUTO_MIGRATE",
      "sure",
      /SCHEDULER_POSTGRES_AUTO_MIGRATE: expected true or false, got "sure"/,
    ],
  ])("rejects %s=%s naming the variable", (name, value, message) => {
    const error = configErrorOf({ [name]: value });
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.field).toBe(name);
    expect(error.message).toMatch(message);
  });

  it("never echoes a URL or a secret in an error", () => {
    const wrongScheme = configErrorOf({ SCHEDULER_POSTGRES_URL: "redis://:hunter2@cache" });
    expect(wrongScheme.field).toBe("SCHEDULER_POSTGRES_URL");
    expect(wrongScheme.message).toContain("starting with postgres: or postgresql:");
    expect(wrongScheme.message).not.toContain("hunter2");
    const unparsable = configErrorOf({ SCHEDULER_POSTGRES_URL: "not a url hunter2" });
    expect(unparsable.message).not.toContain("hunter2");
  });

  it("rejects an unknown name of the backend's prefix, suggesting the one it is a typo of", () => {
    const error = configErrorOf({ SCHEDULER_POSTGRES_SHEMA: "jobs", SCHEDULER_POSTGRES_XYZZY_PLUGH: "1" });
    expect(error.field).toBe("SCHEDULER_POSTGRES_SHEMA");
    expect(error.message).toContain("did you mean SCHEDULER_POSTGRES_SCHEMA?");
    expect(error.message).toContain("also unknown: SCHEDULER_POSTGRES_XYZZY_PLUGH");
    expect(error.message).not.toContain("jobs");
  });

  it("lists the backend's variables for an unknown name far from all of them", () => {
    const error = configErrorOf({ SCHEDULER_POSTGRES_XYZZY_PLUGH: "1" });
    expect(error.message).not.toContain("did you mean");
    expect(error.message).toContain("SCHEDULER_POSTGRES_URL, SCHEDULER_POSTGRES_SCHEMA");
  });

  it("refuses what configFromEnv refuses: another store's setting, an unknown name, a duration without a unit", () => {
    expect(configErrorOf({ SCHEDULER_REDIS_URL: "redis://:hunter2@cache" }).field).toBe(
      "SCHEDULER_REDIS_URL",
    );
    expect(configErrorOf({ SCHEDULER_STOER: "postgres" }).field).toBe("SCHEDULER_STOER");
    expect(configErrorOf({ SCHEDULER_LOCK_TTL: "30" }).field).toBe("SCHEDULER_LOCK_TTL");
  });

  it("refuses a table naming a variable of another backend", () => {
    expect(() => readBackendEnv({}, "redis", VARIABLES)).toThrow(
      /SCHEDULER_POSTGRES_URL: is not a variable of the redis backend/,
    );
  });
});
