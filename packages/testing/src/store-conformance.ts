import type { Store } from "@sched/core";
import { describe } from "vitest";
import { describeCancelAndRequeue } from "./store-conformance/cancel-requeue.js";
import { describeClaim } from "./store-conformance/claim.js";
import { describeClosed } from "./store-conformance/closed.js";
import { describeCreateJobs } from "./store-conformance/create-jobs.js";
import { describeDeadLetters } from "./store-conformance/dead-letters.js";
import { describeEpoch } from "./store-conformance/epoch.js";
import type { StoreSuiteContext } from "./store-conformance/fixtures.js";
import { describeLeases } from "./store-conformance/leases.js";
import { describeListJobs } from "./store-conformance/list-jobs.js";
import { describeLostLeases } from "./store-conformance/lost-leases.js";
import { describeMaintenance } from "./store-conformance/maintenance.js";
import { describeNames } from "./store-conformance/names.js";
import { describeOutcomes } from "./store-conformance/outcomes.js";
import { describeRelease } from "./store-conformance/release.js";
import { describeSchedules } from "./store-conformance/schedules.js";
import { describeSubscribe } from "./store-conformance/subscribe.js";
import { describeText } from "./store-conformance/text.js";
import { describeUniqueKeys } from "./store-conformance/unique-keys.js";
import { storePerTest } from "./store-per-test.js";

/** Options of {@link storeConformance}. */
export interface StoreConformanceOptions {
  /**
   * Called after each test, before the store is closed: drop what the test left behind (for
   * example truncate tables or delete keys under the test's prefix). Not needed when the factory
   * gives every test a store of its own (a fresh schema, key prefix or database).
   */
  cleanup?: (store: Store) => Promise<void>;
  /**
   * Opens another store on the same data as `store`, with connections of its own, as a second
   * instance sharing the backend would (for a `MemoryStore`, the same object). Tests of what
   * instances see of each other's changes (pushed events) need it; without it they are skipped.
   */
  openPeer?: (store: Store) => Promise<Store> | Store;
  /**
   * Deletes all the data of `store` on the backend, as a restart without persistence or a flush
   * would (the store object stays open). The tests of `epoch()` after a loss need it; without it
   * they are skipped.
   */
  wipe?: (store: Store) => Promise<void>;
}

/**
 * Defines the conformance suite of the {@link Store} contract as a vitest `describe` block named
 * `"<name> store conformance"`. Every rule of `Store` (in `@sched/core`) and of the job's life in
 * docs/architecture.md is a test here; an adapter conforms when the whole suite passes against a real server.
 *
 * `factory` is called before each test and must return an open, **empty** store; the store is
 * closed after the test (after `options.cleanup`, when given). Tests pass fixed instants around
 * 2030-01-01 as `now` and insert jobs with time-ordered (UUID v7) ids.
 *
 * @example
 * ```ts
 * import { storeConformance } from "@sched/testing";
 * import { MemoryStore } from "@sched/core";
 *
 * storeConformance("MemoryStore", () => new MemoryStore());
 * ```
 */
export function storeConformance(
  name: string,
  factory: () => Promise<Store> | Store,
  options: StoreConformanceOptions = {},
): void {
  describe(`${name} store conformance`, () => {
    const currentStore = storePerTest(factory, options.cleanup);
    const { openPeer } = options;
    const ctx: StoreSuiteContext = {
      get store(): Store {
        return currentStore();
      },
      openStore: async () => factory(),
      openPeer: openPeer === undefined ? undefined : async () => openPeer(currentStore()),
      wipe:
        options.wipe === undefined
          ? undefined
          : () => (options.wipe as (store: Store) => Promise<void>)(currentStore()),
    };

    describeCreateJobs(ctx);
    describeUniqueKeys(ctx);
    describeText(ctx);
    describeListJobs(ctx);
    describeClaim(ctx);
    describeNames(ctx);
    describeOutcomes(ctx);
    describeRelease(ctx);
    describeLeases(ctx);
    describeLostLeases(ctx);
    describeDeadLetters(ctx);
    describeCancelAndRequeue(ctx);
    describeSchedules(ctx);
    describeMaintenance(ctx);
    describeSubscribe(ctx);
    describeEpoch(ctx);
    describeClosed(ctx);
  });
}
