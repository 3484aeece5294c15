import { describe, expect, it } from "vitest";
import { insertedJob, type NewJobRecord } from "../src/store/store.js";

const record = (payload: unknown): NewJobRecord => ({
  id: "j1",
  name: "mail",
  payload,
  queue: "q",
  priority: 2,
  maxRetries: 3,
  timeout: 1000,
  scheduledAt: new Date("2030-01-01T00:00:00.000Z"),
  createdAt: new Date("2029-12-31T23:59:00.000Z"),
  status: "scheduled",
  metadata: { tenant: "t" },
  uniqueKey: null,
});

describe("insertedJob", () => {
  it("is the stored job before its first run, sharing nothing with the input", () => {
    const input = record({ to: ["a@b.c"] });
    const job = insertedJob(input);
    expect(job).toEqual({
      ...input,
      retryCount: 0,
      group: null,
      startedAt: null,
      completedAt: null,
      error: null,
      attempt: 0,
      lostLeases: 0,
      lockedUntil: null,
      lockedBy: null,
      history: [],
    });
    expect(job.payload).not.toBe(input.payload);
    expect(job.metadata).not.toBe(input.metadata);
    expect(job.scheduledAt).not.toBe(input.scheduledAt);
    (input.payload as { to: string[] }).to.push("x");
    expect(job.payload).toEqual({ to: ["a@b.c"] });
  });

  it("keeps primitive payloads and turns a missing one into null", () => {
    expect(insertedJob(record(7)).payload).toBe(7);
    expect(insertedJob(record("s")).payload).toBe("s");
    expect(insertedJob(record(undefined)).payload).toBeNull();
  });
});
