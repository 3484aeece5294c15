import type { Store } from "../store/store.js";
import { definitionKey } from "./definition.js";
import { controlsOf, type SteeredDefinition } from "./schedule-controls.js";

/**
 * Replaces the buffered tick `from` of schedule `name` (whose definition has key `key`) by `to`
 * (epoch ms, or `null` to clear it): a compare-and-set on the definition stamp (advanced by 1 ms,
 * as pause and resume do), read again whenever another writer came first. Returns whether this
 * call made the change; `false`, writing nothing, when the stored buffered tick is not `from`
 * (another leader changed it), the schedule is gone, or it was given another definition
 * meanwhile (its buffered tick belonged to the old one). With `released`, the tick taken out is
 * one whose job is enqueued now: it is added to `occurrences` in the same write, as a tick that
 * fires is (so `maxOccurrences` ends a `bufferOne` schedule). The write also expects the
 * `nextRunAt` it read, so that it never puts back a tick fired since.
 */
export async function writeBufferedTick(
  store: Store,
  name: string,
  key: string,
  from: number | null,
  to: number | null,
  now: number,
  released = false,
): Promise<boolean> {
  for (;;) {
    const existing = await store.getSchedule(name);
    if (existing === null || definitionKey(existing.definition) !== key) return false;
    if (controlsOf(existing.definition).buffered !== from) return false;
    const definition: SteeredDefinition = { ...existing.definition, buffered: to };
    const written = await store.saveSchedule(
      {
        ...existing,
        definition,
        occurrences: existing.occurrences + (released ? 1 : 0),
        updatedAt: new Date(now),
        definedAt: new Date(existing.definedAt.getTime() + 1),
      },
      {
        expectDefinition: { definedAt: existing.definedAt, definedBy: existing.definedBy },
        expectNextRunAt: existing.nextRunAt,
      },
    );
    if (written) return true;
  }
}
