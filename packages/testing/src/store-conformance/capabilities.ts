import type { Store, StoreCapabilities } from "@sched/core";
import { describe, expect, it, type TestContext } from "vitest";
import type { StoreSuiteContext } from "./fixtures.js";

/**
 * Skips the running test, naming `capability`, when `store` does not declare it: a group a store
 * cannot run is reported as skipped with the reason, never left out.
 */
export function requireCapability(
  store: Store,
  capability: keyof StoreCapabilities,
  test: TestContext,
): void {
  if (store.capabilities[capability] !== true) {
    test.skip(
      `the store does not declare the ${capability} capability (capabilities.${capability} is false)`,
    );
  }
}

/** `capabilities`: what a store declares it supports, read by the runtime and by this suite. */
export function describeCapabilities(ctx: StoreSuiteContext): void {
  describe("capabilities", () => {
    it("capabilities declares transactions and pushedEvents as booleans, the same on every read", () => {
      const { capabilities } = ctx.store;
      expect(typeof capabilities.transactions).toBe("boolean");
      expect(typeof capabilities.pushedEvents).toBe("boolean");
      expect(ctx.store.capabilities).toEqual(capabilities);
    });
  });
}
