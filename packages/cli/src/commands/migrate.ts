import type { Command } from "commander";
import { type CommandContext, flagsOf, print, withSession } from "../context.js";

/** `sched migrate`: creates or upgrades the store's tables (a store without migrations says so). */
export function registerMigrateCommand(program: Command, context: CommandContext): void {
  program
    .command("migrate")
    .description("create or upgrade the store's tables and indexes (idempotent, safe to run concurrently)")
    .action(async (_options: unknown, command: Command) => {
      const flags = flagsOf(command);
      await withSession(context, command, async (session) => {
        const store = session.scheduler.store as { migrate?: () => Promise<void> };
        if (typeof store.migrate !== "function") {
          print(
            context,
            flags,
            { store: session.storeKind, migrated: false },
            () => `the ${session.storeKind} store has no migrations to run`,
          );
          return;
        }
        await store.migrate();
        print(
          context,
          flags,
          { store: session.storeKind, migrated: true },
          () => `migrated the ${session.storeKind} store`,
        );
      });
    });
}
