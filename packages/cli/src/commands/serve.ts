import type { Command } from "commander";
import { type CommandContext, flagsOf, withSession } from "../context.js";
import { CliError, ExitCode, usageError } from "../exit-codes.js";
import { isModuleNotFound } from "../load-module.js";

/** A token's grant, as `createHttpHandler` of @sched/http takes it. */
export type TokenGrant = "read" | "write" | { role: "read" | "write"; name: string };

interface HttpModule {
  createHttpHandler(options: { scheduler: unknown; auth: { tokens: Record<string, TokenGrant> } }): unknown;
  serve(handler: unknown, options: { port: number; host: string }): unknown;
}

/** What `serve` of @sched/http returns, as far as `sched serve` uses it. */
interface RunningServer {
  url?: string;
  port?: number;
  address?: () => unknown;
  close?: (callback?: (err?: Error) => void) => unknown;
}

/**
 * The tokens of `SCHEDULER_HTTP_TOKENS`: comma-separated `<role>:<token>` or
 * `<name>:<role>:<token>` entries, the role `read` or `write`. Tokens are never echoed.
 *
 * @throws CliError (usage) naming the entry by position when it does not parse.
 */
export function parseTokens(value: string): Record<string, TokenGrant> {
  const tokens: Record<string, TokenGrant> = {};
  value
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean)
    .forEach((entry, index) => {
      const parts = entry.split(":");
      const named = parts[0] !== "read" && parts[0] !== "write";
      const name = named ? parts[0] : undefined;
      const role = named ? parts[1] : parts[0];
      const token = parts.slice(named ? 2 : 1).join(":");
      if ((role !== "read" && role !== "write") || token.length < 16) {
        throw usageError(
          `SCHEDULER_HTTP_TOKENS: entry ${index + 1} must be <role>:<token> or <name>:<role>:<token>, ` +
            "the role read or write and the token at least 16 characters",
        );
      }
      tokens[token] = name === undefined || name === "" ? role : { role, name };
    });
  if (Object.keys(tokens).length === 0) {
    throw usageError(
      "sched serve needs SCHEDULER_HTTP_TOKENS (e.g. write:<a long random token>): the HTTP API is closed without tokens",
    );
  }
  return tokens;
}

function portOf(value: string | undefined, fallback: number): number {
  if (value === undefined || value.trim() === "") return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw usageError(`port: expected an integer from 0 to 65535, got "${value}"`);
  }
  return port;
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
    .action(async (_options: unknown, command: Command) => {
      const flags = flagsOf<{ port?: string; host?: string }>(command);
      const tokens = parseTokens(context.env.SCHEDULER_HTTP_TOKENS ?? "");
      const port = portOf(flags.port ?? context.env.SCHEDULER_HTTP_PORT, 8080);
      const host = flags.host ?? (context.env.SCHEDULER_HTTP_HOST?.trim() || "127.0.0.1");
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
      await withSession(context, command, async (session) => {
        const handler = http.createHttpHandler({ scheduler: session.scheduler, auth: { tokens } });
        const server = (await http.serve(handler, { port, host })) as RunningServer;
        context.output.err(`sched: serving the HTTP API and dashboard on ${addressOf(server, host, port)}`);
        try {
          await untilStopped(context.signal);
        } finally {
          await closeServer(server);
        }
        context.output.err("sched: stopped");
      });
    });
}
