import { createScheduler } from "@sched/core";
import { describe, expect, it } from "vitest";
import { recordingLogger, runUntilIdle } from "../src/index.js";

describe("recordingLogger", () => {
  it("records every call with its level, message and fields, oldest first", () => {
    const logger = recordingLogger();
    logger.debug("one");
    logger.info("two", { n: 2 });
    logger.warn("three", { nested: { ok: true } });
    logger.error("four");
    expect(logger.lines).toStrictEqual([
      { level: "debug", message: "one" },
      { level: "info", message: "two", fields: { n: 2 } },
      { level: "warn", message: "three", fields: { nested: { ok: true } } },
      { level: "error", message: "four" },
    ]);
  });

  it("keeps the lines of each logger apart", () => {
    const a = recordingLogger();
    const b = recordingLogger();
    a.info("only a");
    expect(a.lines).toHaveLength(1);
    expect(b.lines).toEqual([]);
  });

  it("records what a scheduler logs, as it logs it", async () => {
    const logger = recordingLogger();
    const s = createScheduler({ logger, retry: { maxAttempts: 1 } });
    s.register("boom", () => {
      throw new Error("boom");
    });
    s.register("dead", () => {});
    try {
      await s.start();
      const job = await s.enqueue({ name: "boom" });
      await runUntilIdle(s);
      expect(logger.lines).toContainEqual({
        level: "warn",
        message: "job is dead (no retries left, or a permanent error)",
        fields: { jobId: job.id, name: "boom", queue: "default", attempt: 1, error: "boom" },
      });
    } finally {
      await s.stop();
    }
  });
});
