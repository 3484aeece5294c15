import type { StoreEvent } from "@sched/core/adapter";

/**
 * What the NOTIFY payloads on the store's channel mean (the statements in `queries.ts` send them):
 *
 * - a queue name: jobs may have become available in that queue (`{ type: "jobs" }`), as every
 *   release of this package sends, so old and new instances understand each other during a
 *   rolling deploy;
 * - `cancel<TAB><TAB><attempt><TAB><queue><TAB><id>`: attempt `attempt` of the running job `id` of
 *   `queue` was cancelled (`{ type: "cancelled" }`). A queue name never holds a tab (they match
 *   `/^[A-Za-z0-9_.:\-/]{1,200}$/`) and the attempt is digits, so the id, last, may hold anything.
 *   The empty field after `cancel` sets it apart from the previous release's form, which that
 *   release's parser refuses (it needs a queue there): an instance of the previous release ignores
 *   it, and aborts the job at its next lease renewal, which finds the job cancelled.
 * - `cancel<TAB><queue><TAB><id>`, the previous release's cancel, names no attempt. An event for
 *   "whichever attempt runs now" could abort a later attempt of the job (a late notification after
 *   a retry was claimed here), so it is ignored: the job is aborted at its next lease renewal here,
 *   within `lockRefresh`, since the cancel fenced its attempt off.
 *
 * Every other payload starting with `cancel<TAB>` (malformed) is ignored.
 */
const CANCEL_PREFIX = "cancel\t";
/** The cancel with its attempt: an empty field, which no queue name can be, then the attempt. */
const CANCEL_WITH_ATTEMPT = /^cancel\t\t(\d{1,9})\t([^\t]+)\t([\s\S]+)$/;

/** The event a notification payload stands for, or `null` for a payload this release ignores. */
export function eventOfPayload(payload: string): StoreEvent | null {
  if (!payload.startsWith(CANCEL_PREFIX)) return { type: "jobs", queue: payload };
  const match = CANCEL_WITH_ATTEMPT.exec(payload);
  if (match === null) return null;
  return {
    type: "cancelled",
    attempt: Number(match[1]),
    queue: match[2] as string,
    id: match[3] as string,
  };
}

/** The payload of the cancel notification of `event` (the statement builds the same text in SQL). */
export function cancelPayload(event: {
  readonly queue: string;
  readonly id: string;
  readonly attempt: number;
}): string {
  return `${CANCEL_PREFIX}\t${event.attempt}\t${event.queue}\t${event.id}`;
}
