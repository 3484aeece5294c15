import type { Command } from "commander";
import { AuditFile } from "../audit-file.js";
import { type CommandContext, flagsOf, messagesOf, withSession } from "../context.js";
import { CliError, ExitCode, usageError } from "../exit-codes.js";
import { isModuleNotFound } from "../load-module.js";
import type { Messages } from "../messages.js";
import type { Session } from "../session.js";
import {
  type PayloadSetting,
  type ServeFlags,
  type ServeSettings,
  serveSettings,
  type TokenGrant,
} from "./serve-settings.js";

export { parseTokens, type TokenGrant } from "./serve-settings.js";

interface HttpModule {
  createHttpHandler(options: {
    scheduler: unknown;
    auth: { tokens: Record<string, TokenGrant> };
    payloads: PayloadSetting;
    audit?: (entry: unknown) => unknown;
  }): unknown;
  serve(handler: unknown, options: { port: number; host: string }): unknown;
}

/** What `serve` of @sched/http returns, as far as `sched serve` uses it. */
interface RunningServer {
  url?: string;
  port?: number;
  address?: () => unknown;
  close?: (callback?: (err?: Error) => void) => unknown;
}

/** The address a running server listens on, for the log line. */
function addressOf(server: RunningServer, host: string, port: number): string {
  if (typeof server.url === "string") return server.url;
  const bound = typeof server.address === "function" ? (server.address() as { port?: number } | null) : null;
  const actual = bound?.port ?? server.port ?? port;
  return `http://${host.includes(":") ? `[${host}]` : host}:${actual}`;
}

async function closeServer(server: RunningServer): Promise<void> {
  if (typeof server.close !== "function") return;
  await new Promise<void>((resolve) => {
    const result = (server.close as (callback: () => void) => unknown)(() => resolve());
    if (result instanceof Promise)
      result.then(
        () => resolve(),
        () => resolve(),
      );
  });
}

/** Resolves when `signal` aborts, or (without one) on SIGINT or SIGTERM; removes its listeners. */
function untilStopped(signal: AbortSignal | undefined): Promise<void> {
  if (signal !== undefined) {
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
  }
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

/** `sched serve`: the HTTP API and dashboard of @sched/http until SIGINT or SIGTERM. */
export function registerServeCommand(program: Command, context: CommandContext): void {
  program
    .command("serve")
    .description(
      "serve the HTTP API and dashboard (@sched/http) until interrupted; tokens from SCHEDULER_HTTP_TOKENS",
    )
    .option("--port <port>", "the port (default SCHEDULER_HTTP_PORT, else 8080)")
    .option("--host <host>", "the interface (default SCHEDULER_HTTP_HOST, else 127.0.0.1)")
    .option(
      "--redact <paths>",
      'replace these payload fields by "[redacted]", comma-separated dot paths such as user.email,card.number (default SCHEDULER_HTTP_REDACT)',
    )
    .option("--hide-payloads", 'replace every payload by "[hidden]" (default SCHEDULER_HTTP_HIDE_PAYLOADS)')
    .option(
      "--audit-log <file>",
      "append each write action to this file as a JSON line (default SCHEDULER_HTTP_AUDIT_LOG)",
    )
    .action(async (_options: unknown, command: Command) => {
      const flags = flagsOf<ServeFlags>(command);
      const settings = serveSettings(flags, context.env);
      const messages = messagesOf(context);
      let http: HttpModule;
      try {
        http = (await context.load("@sched/http")) as HttpModule;
      } catch (err) {
        if (!isModuleNotFound(err)) throw err;
        throw new CliError(
          ExitCode.failure,
          "HTTP_NOT_INSTALLED",
          "sched serve needs the @sched/http package: install it beside @sched/cli (npm install @sched/http)",
          { cause: err },
        );
      }
      if (typeof http.createHttpHandler !== "function" || typeof http.serve !== "function") {
        throw new CliError(
          ExitCode.failure,
          "HTTP_INCOMPATIBLE",
          "the installed @sched/http has no createHttpHandler and serve; install a version that matches @sched/cli",
        );
      }
      let stopping = false;
      let pinged: Promise<void> = Promise.resolve();
      try {
        await runServer();
      } finally {
        stopping = true;
        // A ping still waiting settles when the session closes the store: it must not outlive it.
        await pinged;
      }
      async function runServer(): Promise<void> {
        await withSession(context, command, async (session) => {
          const audit =
            settings.auditLog === null
              ? null
              : await AuditFile.open(settings.auditLog, settings.auditLogFrom ?? "--audit-log", messages);
          try {
            const handler = attributed(settings, () =>
              http.createHttpHandler({
                scheduler: session.scheduler,
                auth: { tokens: settings.tokens },
                payloads: settings.payloads,
                ...(audit === null ? {} : { audit: (entry: unknown) => audit.append(entry) }),
              }),
            );
            // The store is pinged once beside the server's start: serving goes on either way (the
            // API answers 503 while the store is away), but a store that is not there is said.
            pinged = warnIfUnusable(session, messages, () => stopping);
            let server: RunningServer;
            try {
              server = (await http.serve(handler, {
                port: settings.port,
                host: settings.host,
              })) as RunningServer;
            } catch (err) {
              // No server: the store is closed next, and a ping it cuts short is no finding.
              stopping = true;
              throw err;
            }
            const url = addressOf(server, settings.host, settings.port);
            messages.info(`serving the HTTP API and dashboard on ${url}`, { url });
            try {
              await untilStopped(context.signal);
            } finally {
              stopping = true;
              await closeServer(server);
            }
          } finally {
            await audit?.close();
          }
          messages.info("stopped");
        });
      }
    });
}

/**
 * Pings the session's store once and warns, in one line, when it cannot be used: the server (its
 * `describeServer()`, never a connection string), the error's code, and what the API answers
 * meanwhile. Says nothing once `stopped()` (a ping cut short by the store's close is no finding).
 * Never throws.
 */
async function warnIfUnusable(session: Session, messages: Messages, stopped: () => boolean): Promise<void> {
  try {
    await session.scheduler.store.ping();
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    if (stopped() || code === "STORE_CLOSED") return;
    const store = session.scheduler.store as { describeServer?: () => string | undefined };
    const server = store.describeServer?.() ?? `the ${session.storeKind} store`;
    const named = typeof code === "string" && /^[A-Z0-9_]{1,64}$/.test(code) ? code : "ERROR";
    messages.warning(
      named === "MIGRATION_REQUIRED"
        ? `${server} answers, but its tables are not migrated (${named}): run sched migrate; serving anyway, and the API answers 503 MIGRATION_REQUIRED until then`
        : `${server} could not be reached at startup (${named}): serving anyway; the API answers 503 until it can reach it`,
    );
  }
}

/**
 * Runs `build`; a ConfigError of @sched/http about the payload setting or a token names the flag
 * or variable it came from (a usage error: `SCHEDULER_HTTP_TOKENS (entry 2)`), not the option of
 * the handler.
 */
function attributed<T>(settings: ServeSettings, build: () => T): T {
  try {
    return build();
  } catch (err) {
    const field = (err as { field?: unknown } | null)?.field;
    if (typeof field === "string" && field.startsWith("payloads") && settings.payloadsFrom !== null) {
      const detail = (err as Error).message.slice(field.length + 2);
      throw usageError(`${settings.payloadsFrom}: ${detail}`);
    }
    if (typeof field === "string" && field.startsWith("auth.tokens")) {
      // Tokens come from SCHEDULER_HTTP_TOKENS only: "auth.tokens (token 2)" is its entry 2.
      const detail = (err as Error).message.slice(field.length + 2);
      const entry = /^auth\.tokens \(token (\d+)\)$/.exec(field)?.[1];
      throw usageError(`SCHEDULER_HTTP_TOKENS${entry === undefined ? "" : ` (entry ${entry})`}: ${detail}`);
    }
    throw err;
  }
}
