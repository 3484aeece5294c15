import { MemoryStore, type Middleware } from "@sched/core";
import type { Contender } from "../contender.js";
import { createSchedContender } from "./sched-common.js";

/**
 * @sched/core with its in-memory store, at its default settings except `workers`.
 * The handler is `async`, as users write them; it calls the workload's handler first.
 * `middleware` is installed with `use()` before anything is enqueued (`sched-memory-otel`).
 */
export function createContender(middleware: readonly Middleware[] = []): Contender {
  return createSchedContender({ name: "sched-memory", createStore: () => new MemoryStore(), middleware });
}
