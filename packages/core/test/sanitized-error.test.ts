import { describe, expect, it } from "vitest";
import { answerWithin } from "../src/time/settle-by.js";
import { redact, sanitizedError } from "../src/validation/sanitized-error.js";

const secrets = ["s3cret", "redis://:s3cret@h:6379"];

describe("sanitizedError", () => {
  it("copies the class, redacts texts, keeps numbers and booleans, and drops what a rule does not keep", () => {
    class DriverError extends Error {
      code = "WRONGPASS";
      retries = 2;
      transient = true;
      command = { name: "auth", args: ["default", "s3cret"] };
      reply = { document: "s3cret" };
    }
    const original = new DriverError("AUTH failed for redis://:s3cret@h:6379", {
      cause: new AggregateError([new Error("inner s3cret")], "all failed: s3cret"),
    });
    const copy = sanitizedError(original, secrets, {
      keep: (key, value) => (key === "command" ? { name: (value as { name: string }).name } : undefined),
      extend: (_err, define) => define("labels", ["L"]),
    }) as DriverError & { labels: string[] };
    expect(copy).toBeInstanceOf(DriverError);
    expect(copy.message).toBe("AUTH failed for ***");
    expect(copy.code).toBe("WRONGPASS");
    expect(copy.retries).toBe(2);
    expect(copy.transient).toBe(true);
    expect(copy.command).toEqual({ name: "auth" });
    expect("reply" in copy).toBe(false);
    expect(copy.labels).toEqual(["L"]);
    const cause = copy.cause as AggregateError;
    expect(cause.message).toBe("all failed: ***");
    expect(cause.errors.map((e: Error) => e.message)).toEqual(["inner ***"]);
    expect(JSON.stringify(copy) + String(copy.stack) + String(cause.stack)).not.toContain("s3cret");
    expect(sanitizedError("plain s3cret", secrets).message).toBe("plain ***");
  });

  it("redact replaces the longest secret first and ignores empty ones", () => {
    expect(redact("url redis://:s3cret@h:6379 pw s3cret", ["", ...secrets])).toBe("url *** pw ***");
  });
});

describe("answerWithin", () => {
  it("settles like the promise in time, rejects with timedOut() after, and waits forever for 0", async () => {
    await expect(answerWithin(Promise.resolve(1), 50, () => new Error("late"))).resolves.toBe(1);
    await expect(answerWithin(Promise.reject(new Error("no")), 50, () => new Error("late"))).rejects.toThrow(
      "no",
    );
    const never = new Promise<number>(() => {});
    await expect(answerWithin(never, 20, () => new Error("late"))).rejects.toThrow("late");
    // A rejection after the timeout is caught, never unhandled.
    const slow = new Promise<number>((_, reject) => setTimeout(() => reject(new Error("later")), 30));
    await expect(answerWithin(slow, 5, () => new Error("late"))).rejects.toThrow("late");
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(await answerWithin(Promise.resolve(2), 0, () => new Error("late"))).toBe(2);
  });
});
