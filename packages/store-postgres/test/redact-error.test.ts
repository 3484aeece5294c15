import { describe, expect, it } from "vitest";
import { redactError } from "../src/connection/redact-error.js";

const SECRET = "s3cr3t-pa55";
const URL = `postgres://app:${SECRET}@db:5432/app`;

describe("redactError", () => {
  it("returns an error without secrets as it is", () => {
    const error = new Error("connect ECONNREFUSED 127.0.0.1:5432");
    expect(redactError(error, [URL, SECRET])).toBe(error);
  });

  it("copies an error holding a secret anywhere: message, stack, cause chain, AggregateError, fields", () => {
    const inner = Object.assign(new Error(`could not parse ${URL}`), { input: URL, code: "ERR_INVALID_URL" });
    const error = Object.assign(
      new AggregateError([new Error(`auth for ${SECRET}`)], "several attempts failed", { cause: inner }),
      { details: { tried: [URL] }, attempts: 2 },
    );
    const copy = redactError(error, [URL, SECRET]) as AggregateError & {
      details: { tried: string[] };
      attempts: number;
    };
    expect(copy).not.toBe(error);
    expect(copy).toBeInstanceOf(AggregateError);
    expect(copy.message).toBe("several attempts failed");
    expect(copy.errors[0].message).toBe("auth for ***");
    expect(copy.details.tried).toEqual(["***"]);
    expect(copy.attempts).toBe(2);
    const cause = copy.cause as Error & { input: string; code: string };
    expect(cause.message).toBe("could not parse ***");
    expect(cause.input).toBe("***");
    expect(cause.code).toBe("ERR_INVALID_URL");
    const text = JSON.stringify([copy.stack, cause.stack, copy.errors[0].stack]);
    expect(text).not.toContain(SECRET);
    // The original is left as it was.
    expect(inner.input).toBe(URL);
  });

  it("copes with cycles", () => {
    const error = new Error(`password ${SECRET}`) as Error & { self?: unknown };
    error.self = error;
    const copy = redactError(error, [SECRET]) as Error & { self?: unknown };
    expect(copy.message).toBe("password ***");
    expect(copy.self).toBe(copy);
  });
});
