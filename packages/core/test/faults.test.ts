import { describe, expect, it } from "vitest";
import { MemoryStore } from "../src/memory/index.js";
import type { CompleteOptions, JobRef } from "../src/store.js";
import { setup, turns, until } from "./helpers.js";

/** A memory store whose acknowledgements fail `failures` times, as during an outage. */
class FlakyAcks extends MemoryStore {
  calls = 0;
  constructor(private readonly failures: number) {
    super();
  }
  override async completeJobs(refs: readonly JobRef[], options: CompleteOptions): Promise<boolean[]> {
    this.calls++;
    if (this.calls <= this.failures) throw new Error("connection refused");
    return super.completeJobs(refs, options);
  }
}

describe("logging during an outage", () => {
  it("failed acknowledgements are logged a few times, then one in 20, and their recovery once", async () => {
    const store = new FlakyAcks(45);
    const { s, clock, logger } = setup({ store });
    s.register("j", () => {});
    await s.start();
    const job = await s.enqueue({ name: "j" });
    await until(() => store.calls >= 1);
    for (let i = 0; i < 50; i++) {
      await clock.advance("500ms");
      await turns(3);
    }
    await until(async () => (await store.getJob(job.id))?.status === "completed");
    const failures = logger.lines.filter((line) =>
      line.startsWith("error acknowledging completed jobs failed"),
    );
    // Calls 1, 2, 3, 20 and 40 of 45 failures.
    expect(failures).toHaveLength(5);
    expect(
      logger.lines.filter((line) => line.startsWith("info acknowledging completed jobs works again")),
    ).toHaveLength(1);
    await s.stop({ timeout: 0 });
  });
});
