import type { Store } from "@sched/core";
import { describe } from "vitest";
import { type ConformanceSkip, skipByName } from "./conformance-skips.js";
import { describeCancelAndRequeue } from "./store-conformance/cancel-requeue.js";
import { describeCapabilities } from "./store-conformance/capabilities.js";
import { describeClaim } from "./store-conformance/claim.js";
import { describeClosed } from "./store-conformance/closed.js";
import { describeControl } from "./store-conformance/control.js";
import { describeCounts } from "./store-conformance/counts.js";
import { describeCreateAndClaim } from "./store-conformance/create-and-claim.js";
import { describeCreateJobs } from "./store-conformance/create-jobs.js";
import { describeDeadLetters } from "./store-conformance/dead-letters.js";
import { describeEpoch } from "./store-conformance/epoch.js";
import type { StoreSuiteContext } from "./store-conformance/fixtures.js";
import { describeLeases } from "./store-conformance/leases.js";
import { describeListJobs } from "./store-conformance/list-jobs.js";
import { describeLostLeases } from "./store-conformance/lost-leases.js";
import { describeMaintenance } from "./store-conformance/maintenance.js";
import { describeNames } from "./store-conformance/names.js";
import { describeOperations } from "./store-conformance/operations.js";
import { describeOutcomes } from "./store-conformance/outcomes.js";
import { describeRecords } from "./store-conformance/records.js";
import { describeRelease } from "./store-conformance/release.js";
import { describeSchedules } from "./store-conformance/schedules.js";
import { describeSubscribe } from "./store-conformance/subscribe.js";
import { describeText } from "./store-conformance/text.js";
import { type ConformanceTransaction, describeTransactions } from "./store-conformance/transactions.js";
import { describeUniqueKeys } from "./store-conformance/unique-keys.js";
import { storePerTest } from "./store-per-test.js";

export type { ConformanceSkip } from "./conformance-skips.js";
export type { ConformanceTransaction } from "./store-conformance/transactions.js";

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
  /**
   * Begins an application transaction `store` can join: runs the backend's `BEGIN` on a
   * connection of its own and returns the handle `createJobs` takes as `options.transaction`, with
   * `commit()` and `rollback()` (each also releases the connection). Required when the store
   * declares the `transactions` capability: without it, the tests of transactions fail, naming
   * this option. Stores without the capability need none; those tests are skipped with the reason.
   */
  beginTransaction?: (store: Store) => Promise<ConformanceTransaction>;
  /**
   * Tests this run of the suite cannot honestly serve, each skipped with its reason: for a backend
   * reached through an emulator that lacks a feature the test relies on (a unique index it accepts
   * but never checks). `test` matches a test whose full name (its groups and its own name, joined
   * by `" > "`) contains it as text, or that it matches as a pattern. A skipped test is reported
   * as skipped, with the reason, never left out. Default: none.
   */
  skip?: readonly ConformanceSkip[];
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
 * The suite reads the store's `capabilities`: a group the store does not declare it can run
 * (`transactions`, `pushedEvents`) is reported as skipped, test by test, with a reason naming the
 * capability; a test that needs an option the suite was not given (`openPeer`, `wipe`) is skipped
 * naming the option.
 *
 * @example
 * ```ts
 * import { storeConformance } from "@sched/testing/conformance";
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
    // Before the store is opened for the test: a skipped test opens nothing.
    skipByName(options.skip);
    const currentStore = storePerTest(factory, options.cleanup);
    const { openPeer, wipe, beginTransaction } = options;
    const ctx: StoreSuiteContext = {
      get store(): Store {
        return currentStore();
      },
      openStore: async () => factory(),
      openPeer: openPeer === undefined ? undefined : async () => openPeer(currentStore()),
      wipe: wipe === undefined ? undefined : () => wipe(currentStore()),
      beginTransaction: beginTransaction === undefined ? undefined : () => beginTransaction(currentStore()),
    };

    describeCapabilities(ctx);
    describeCreateJobs(ctx);
    describeUniqueKeys(ctx);
    describeText(ctx);
    describeListJobs(ctx);
    describeClaim(ctx);
    describeCreateAndClaim(ctx);
    describeNames(ctx);
    describeOutcomes(ctx);
    describeRelease(ctx);
    describeLeases(ctx);
    describeLostLeases(ctx);
    describeDeadLetters(ctx);
    describeCancelAndRequeue(ctx);
    describeSchedules(ctx);
    describeControl(ctx);
    describeRecords(ctx);
    describeOperations(ctx);
    describeCounts(ctx);
    describeMaintenance(ctx);
    describeTransactions(ctx);
    describeSubscribe(ctx);
    describeEpoch(ctx);
    describeClosed(ctx);
  });
}
