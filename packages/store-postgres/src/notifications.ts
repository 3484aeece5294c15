import type { StoreEvent } from "@sched/core";

/**
 * What the NOTIFY payloads on the store's channel mean (the statements in `queries.ts` send them):
 *
 * - a queue name: jobs may have become available in that queue (`{ type: "jobs" }`), as release 1
 *   of this package sent, so old and new instances understand each other during a rolling deploy;
 * - `cancel<TAB><queue><TAB><id>`: the running job `id` of `queue` was cancelled. A queue name
 *   never holds a tab (they match `/^[A-Za-z0-9_.:\-/]{1,200}$/`), so this can never be mistaken
 *   for one, and the id, last, may hold anything. An instance of release 1 takes it for a queue it
 *   does not work and at worst claims once for nothing.
 */
const CANCEL_PREFIX = "cancel\t";

/** The event a notification payload stands for, or `null` for a payload this release does not know. */
export function eventOfPayload(payload: string): StoreEvent | null {
  if (!payload.startsWith(CANCEL_PREFIX)) return { type: "jobs", queue: payload };
  const rest = payload.slice(CANCEL_PREFIX.length);
  const tab = rest.indexOf("\t");
  if (tab <= 0) return null;
  return { type: "cancelled", queue: rest.slice(0, tab), id: rest.slice(tab + 1) };
}

/** The payload of the cancel notification of `event` (the statement builds the same text in SQL). */
export function cancelPayload(event: { readonly queue: string; readonly id: string }): string {
  return `${CANCEL_PREFIX}${event.queue}\t${event.id}`;
}
