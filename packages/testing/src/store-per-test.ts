import type { Store } from "@sched/core";
import { afterEach, beforeEach } from "vitest";

/**
 * Inside a `describe` block: opens a store with `factory` before each test, and after it calls
 * `cleanup` (when given) and closes the store. Returns the running test's store.
 */
export function storePerTest(
  factory: () => Promise<Store> | Store,
  cleanup?: (store: Store) => Promise<void>,
): () => Store {
  let current: Store | undefined;

  beforeEach(async () => {
    current = await factory();
  });

  afterEach(async () => {
    const store = current;
    current = undefined;
    if (store === undefined) return;
    try {
      await cleanup?.(store);
    } finally {
      await store.close();
    }
  });

  return () => {
    if (current === undefined) throw new Error("the store is only available inside a test");
    return current;
  };
}
