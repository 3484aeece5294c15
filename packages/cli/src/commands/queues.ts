import { formatDuration, type QueueInfo } from "@sched/core";
import type { Command } from "commander";
import { type CommandContext, flagsOf, print, withSession } from "../context.js";
import { notFound } from "../exit-codes.js";
import { knownNames } from "../format.js";
import { type Column, renderTable } from "../output.js";
import type { Session } from "../session.js";

/** The columns of a queue listing: state, limits and counts by status. */
export const QUEUE_COLUMNS: readonly Column<QueueInfo>[] = [
  { header: "QUEUE", cell: (queue) => queue.name },
  { header: "STATE", cell: (queue) => (queue.paused ? "paused" : "active") },
  { header: "PENDING", cell: (queue) => String(queue.counts.pending), numeric: true },
  { header: "SCHEDULED", cell: (queue) => String(queue.counts.scheduled), numeric: true },
  { header: "RUNNING", cell: (queue) => String(queue.counts.running), numeric: true },
  { header: "FAILED", cell: (queue) => String(queue.counts.failed), numeric: true },
  { header: "DEAD", cell: (queue) => String(queue.counts.dead), numeric: true },
  { header: "COMPLETED", cell: (queue) => String(queue.counts.completed), numeric: true },
  { header: "CANCELLED", cell: (queue) => String(queue.counts.cancelled), numeric: true },
  { header: "LIMITS", cell: limitsOf },
];

function limitsOf(queue: QueueInfo): string {
  const parts: string[] = [];
  if (queue.concurrency !== null) parts.push(`concurrency ${queue.concurrency}`);
  if (queue.rateLimit !== null) parts.push(`${queue.rateLimit.max}/${formatDuration(queue.rateLimit.per)}`);
  if (queue.group !== null) parts.push("per-group limits");
  return parts.length === 0 ? "-" : parts.join(", ");
}

/** `sched queues list|pause|resume`; pause and resume refuse a queue the store does not know. */
export function registerQueueCommands(program: Command, context: CommandContext): void {
  const queues = program.command("queues").description("list, pause and resume queues");

  queues
    .command("list")
    .description("every queue with its state, limits and job counts")
    .action(async (_options: unknown, command: Command) => {
      const flags = flagsOf(command);
      await withSession(context, command, async (session) => {
        const list = await session.scheduler.listQueues();
        print(context, flags, list, () => renderTable(list, QUEUE_COLUMNS, "no queues"));
      });
    });

  for (const action of ["pause", "resume"] as const) {
    queues
      .command(`${action} <queue>`)
      .description(
        action === "pause"
          ? "stop every instance from claiming the queue's jobs (running ones finish)"
          : "let instances claim the queue's jobs again, lifting any push-back",
      )
      .option(
        "--create",
        action === "pause"
          ? "pause a queue the store does not know yet (before its first job)"
          : "resume a queue the store does not know yet",
      )
      .action(async (name: string, _options: unknown, command: Command) => {
        const flags = flagsOf<{ create?: boolean }>(command);
        await withSession(context, command, async (session) => {
          if (flags.create !== true) await requireKnownQueue(session, name, action);
          const queue =
            action === "pause"
              ? await session.scheduler.pauseQueue(name)
              : await session.scheduler.resumeQueue(name);
          print(context, flags, queue, () => `queue ${queue.name} is ${queue.paused ? "paused" : "active"}`);
        });
      });
  }
}

/**
 * Refuses a queue the store does not know: none of its jobs, no stored state or limits, and no
 * running instance names it. Pausing such a name (a typo, usually) would store a record for a
 * queue that never existed; `--create` asks for that on purpose.
 *
 * @throws CliError (not found, code `QUEUE_NOT_FOUND`) listing the known queues;
 *   InvalidArgumentError (`INVALID_ARGUMENT`, a usage error) for a name no queue can have.
 */
export async function requireKnownQueue(session: Session, name: string, action: string): Promise<void> {
  // getQueue checks the name first: a malformed one is a usage error, not an unknown queue.
  await session.scheduler.getQueue(name);
  const [known, instances] = await Promise.all([
    session.scheduler.listQueues(),
    session.scheduler.listInstances(),
  ]);
  const names = new Set([
    ...known.map((queue) => queue.name),
    ...instances.flatMap((instance) => instance.queues ?? []),
  ]);
  if (names.has(name)) return;
  const sorted = [...names].sort();
  const listed = knownNames(sorted, "queues", "sched queues list", "the store knows no queue yet");
  throw notFound(
    "QUEUE_NOT_FOUND",
    `queue "${name}" is not known to the store (no jobs, no settings, no instance serves it); ${listed}. ` +
      `Add --create to ${action} it anyway`,
  );
}
