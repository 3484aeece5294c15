import type { Command } from "commander";
import { type CommandContext, flagsOf, print, warnOfJobsLeft, withSession } from "../context.js";
import { namingFlags } from "../flag-errors.js";
import type { JobSelector } from "../operations-api.js";

/** The flags of `dead retry-all`, by the selector field each gives. */
const DEAD_FLAGS = { queue: "--queue", name: "--name" };

/** `sched dead retry-all [--queue] [--name]`. */
export function registerDeadCommands(program: Command, context: CommandContext): void {
  const dead = program.command("dead").description("dead letters: jobs that failed for good");
  dead
    .command("retry-all")
    .description("move every dead job (of a queue, of a name) back to pending with a fresh budget")
    .option("--queue <queue>", "only dead jobs of this queue")
    .option("--name <name>", "only dead jobs of this handler name")
    .action(async (_options: unknown, command: Command) => {
      const flags = flagsOf<{ queue?: string; name?: string }>(command);
      const selector: JobSelector = { status: "dead" };
      if (flags.queue !== undefined) selector.queue = flags.queue;
      if (flags.name !== undefined) selector.name = flags.name;
      await withSession(context, command, async (session) => {
        const started = new Date();
        const count = await namingFlags(DEAD_FLAGS, () => session.scheduler.retryJobs(selector));
        print(context, flags, { count }, () => `retried ${count} dead job${count === 1 ? "" : "s"}`);
        await warnOfJobsLeft(context, session.scheduler, selector, started);
      });
    });
}
