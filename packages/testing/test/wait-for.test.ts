import { afterEach, describe, expect, it, vi } from "vitest";
import { waitFor } from "../src/index.js";

afterEach(() => {
  vi.useRealTimers();
});

describe("waitFor", () => {
  it("resolves with the first value that is not undefined, null or false", async () => {
    const values: unknown[] = [undefined, null, false, 0];
    let calls = 0;
    const value = await waitFor(() => values[calls++]);
    expect(value).toBe(0);
    expect(calls).toBe(4);
  });

  it("waits for a condition that an async probe reports", async () => {
    let done = false;
    setTimeout(() => {
      done = true;
    }, 30);
    const started = performance.now();
    await expect(waitFor(async () => done)).resolves.toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
  });

  it("pauses `interval` between calls", async () => {
    let calls = 0;
    const probe = (): boolean => ++calls > 3;
    const started = performance.now();
    await waitFor(probe, { interval: "40ms" });
    expect(calls).toBe(4);
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);
  });

  it("rejects after `timeout`, naming what it waited for", async () => {
    const started = performance.now();
    await expect(waitFor(() => false, { timeout: 100, description: "the marker" })).rejects.toThrow(
      "timed out after 100ms waiting for the marker",
    );
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(95);
    expect(elapsed).toBeLessThan(1_000);
  });

  it("defaults to 2 seconds and an unnamed condition", async () => {
    await expect(waitFor(() => undefined)).rejects.toThrow(
      "timed out after 2000ms waiting for the condition",
    );
  });

  it("rejects at once with the error the probe throws", async () => {
    let calls = 0;
    const failure = new Error("probe failed");
    await expect(
      waitFor(() => {
        calls++;
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(calls).toBe(1);
  });

  it("rejects an invalid timeout", async () => {
    await expect(waitFor(() => true, { timeout: "soon" as never })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
  });

  it("waits in real time under fake timers", async () => {
    vi.useFakeTimers();
    await expect(waitFor(() => false, { timeout: 50 })).rejects.toThrow("timed out after 50ms");
  });
});
