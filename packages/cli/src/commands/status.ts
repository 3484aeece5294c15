import type { Command } from "commander";
import { type CommandContext, flagsOf, print, withSession } from "../context.js";
import { AS_OF_HEARTBEAT, instanceColumns } from "../instance-view.js";
import { renderTable } from "../output.js";
import { QUEUE_COLUMNS } from "./queues.js";

/** `sched status`: queues with counts, instances, the leader. */
export function registerStatusCommand(program: Command, context: CommandContext): void {
  program
    .command("status")
    .description("queues with their job counts, running instances and the leader")
    .action(async (_options: unknown, command: Command) => {
      const flags = flagsOf(command);
      await withSession(context, command, async (session) => {
        const [queues, instances] = await Promise.all([
          session.scheduler.listQueues(),
          session.scheduler.listInstances(),
        ]);
        // The elected leader; without leader election, the one instance running (several such
        // instances each fire schedules, and none leads).
        const leader =
          instances.find((instance) => instance.leader && instance.distributed)?.id ??
          (instances.length === 1 && !instances[0]?.distributed ? (instances[0]?.id ?? null) : null);
        const now = context.now();
        print(context, flags, { store: session.storeKind, queues, instances, leader }, () =>
          [
            `store: ${session.storeKind}`,
            `leader: ${leader ?? "none"}`,
            "",
            renderTable(queues, QUEUE_COLUMNS, "no queues"),
            "",
            renderTable(instances, instanceColumns(now), "no running instances"),
            ...(instances.length === 0 ? [] : [AS_OF_HEARTBEAT]),
          ].join("\n"),
        );
      });
    });
}
