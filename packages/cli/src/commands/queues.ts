import type { QueueInfo } from "@sched/core";
import type { Command } from "commander";
import { type CommandContext, flagsOf, print, withSession } from "../context.js";
import { formatSpan } from "../format.js";
import { type Column, renderTable } from "../output.js";

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
  if (queue.rateLimit !== null) parts.push(`${queue.rateLimit.max}/${formatSpan(queue.rateLimit.per)}`);
  if (queue.group !== null) parts.push("per-group limits");
  return parts.length === 0 ? "-" : parts.join(", ");
}

/** `sched queues list|pause|resume`. */
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
      .action(async (name: string, _options: unknown, command: Command) => {
        const flags = flagsOf(command);
        await withSession(context, command, async (session) => {
          const queue =
            action === "pause"
              ? await session.scheduler.pauseQueue(name)
              : await session.scheduler.resumeQueue(name);
          print(context, flags, queue, () => `queue ${queue.name} is ${queue.paused ? "paused" : "active"}`);
        });
      });
  }
}
