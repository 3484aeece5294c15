import { describe, expect, it } from "vitest";
import { isStoreClosed, JobAlreadyExistsError } from "../src/errors.js";
import { MemoryStore } from "../src/memory/index.js";
import { createScheduler } from "../src/scheduler.js";
import { recordingLogger } from "./helpers.js";

/**
 * An error as the other module format's copy of @sched/core makes it (a store built for CommonJS
 * beside an ES module application): same name, code and fields, another class.
 */
class ForeignError extends Error {
  constructor(
    readonly code: string,
    message: string,
    fields: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = code === "STORE_CLOSED" ? "StoreClosedError" : "JobAlreadyExistsError";
    Object.assign(this, fields);
  }
}

describe("errors of a store built against the other module format", () => {
  it("a held unique key is the runtime's JobAlreadyExistsError, with the queue it is held in", async () => {
    const store = new MemoryStore();
    store.createJobs = async () => {
      throw new ForeignError("JOB_ALREADY_EXISTS", "held", {
        uniqueKey: "k",
        existingJobId: "j1",
        queue: null,
      });
    };
    const s = createScheduler({ store, logger: recordingLogger() });
    const refused = await s
      .enqueue({ name: "a", queue: "emails", uniqueKey: "k" })
      .catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(JobAlreadyExistsError);
    expect(refused).toMatchObject({ uniqueKey: "k", existingJobId: "j1", queue: "emails" });
  });

  it("a closed store is known by its code", () => {
    expect(isStoreClosed(new ForeignError("STORE_CLOSED", "closed"))).toBe(true);
    expect(isStoreClosed(new ForeignError("STORE_ERROR", "down"))).toBe(false);
    expect(isStoreClosed({ code: "STORE_CLOSED" })).toBe(false);
  });
});
