import type { Contender } from "../contender.js";

/** A contender the bench knows: how to describe it and how to load it (only in the child that runs it). */
export interface ContenderEntry {
  /** One line for the report header. */
  description: string;
  /** Loads the module lazily, so a peer's dependencies are only loaded in its own process. */
  create(): Promise<Contender>;
}

/**
 * Every contender by name. To add one (a PostgreSQL or Redis store, BullMQ, pg-boss,
 * graphile-worker…), write `contenders/<name>.ts` exporting `createContender()` and list it here.
 */
export const CONTENDERS: Record<string, ContenderEntry> = {
  "sched-memory": {
    description: "@sched/core, MemoryStore, default settings",
    create: async () => (await import("./sched-memory.js")).createContender(),
  },
};

/** The contenders run when `BENCH_CONTENDERS` is not set. */
export const DEFAULT_CONTENDERS = ["sched-memory"];
