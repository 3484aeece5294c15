import type { ChildProcess } from "node:child_process";
import type pg from "pg";

/** A TCP port on 127.0.0.1 that nothing listens on now. */
export function freePort(): Promise<number>;

/** A private PostgreSQL server (initdb in a temporary folder, its own port). */
export class PrivatePostgres {
  /** `password`: the server's user `sched` gets it and scram-sha-256 auth (default: trust). `settings`: extra `-c` settings. */
  constructor(options?: { password?: string; settings?: Record<string, string> });
  /** Whether PostgreSQL's server binaries are installed here. */
  static available(): boolean;
  readonly port: number;
  /** The URL of database `postgres` as user `sched`. */
  readonly url: string;
  /** Creates the cluster (once) and starts the server; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Whether the server accepts connections. */
  ready(): Promise<boolean>;
  /** The postmaster's pid, while it runs. */
  pid(): number | null;
  /** `fast`: a clean stop; `immediate`: a crash (unflushed commits are lost). */
  stop(mode?: "fast" | "immediate"): Promise<void>;
  /** Stops (default: immediate, a crash) and starts again. */
  restart(mode?: "fast" | "immediate"): Promise<void>;
  /** Freezes the server and every backend (SIGSTOP). */
  freeze(): void;
  /** Lets a frozen server run again (SIGCONT). */
  thaw(): void;
  /** Runs SQL as the superuser. */
  query(sql: string, params?: unknown[]): Promise<pg.QueryResult>;
  /** Stops the server and deletes its folder. */
  remove(): Promise<void>;
}

/**
 * A private PgBouncer in front of a PostgreSQL server, on its own loopback port, with its
 * configuration and log in a temporary folder. Clients log in without a password (`auth_type =
 * trust`). As root it runs as the `postgres` user (PgBouncer refuses to run as root).
 */
export class PrivatePgBouncer {
  /**
   * `target`: the server's URL (default `SCHED_POSTGRES_URL`, else `postgres://root@127.0.0.1:5432/test`);
   * its database is served under the same name. `poolMode`: default `transaction`. `poolSize`:
   * `default_pool_size` (default 20). `settings`: more `[pgbouncer]` settings.
   */
  constructor(options?: {
    target?: string;
    poolMode?: "session" | "transaction" | "statement";
    poolSize?: number;
    settings?: Record<string, string>;
  });
  /** Whether PgBouncer is installed here. */
  static available(): boolean;
  /** The installed PgBouncer's version, such as `1.18.0`. */
  static version(): string;
  readonly port: number;
  readonly poolMode: "session" | "transaction" | "statement";
  /** The URL of the served database through PgBouncer (no password: trust). */
  readonly url: string;
  /** The URL of PgBouncer's admin console. */
  readonly adminUrl: string;
  /** PgBouncer's log so far. */
  log(): string;
  /** Writes the configuration and starts PgBouncer; resolves once it serves the database. */
  start(): Promise<void>;
  /** Whether PgBouncer serves the database. */
  ready(): Promise<boolean>;
  /** Runs a command on the admin console (`SHOW POOLS`); returns its rows. */
  admin(command: string): Promise<Array<Record<string, unknown>>>;
  /** Stops PgBouncer at once (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
  /** Stops PgBouncer and deletes its folder. */
  remove(): Promise<void>;
}

/** A private `redis-server` (no persistence unless asked), its own port. */
export class PrivateRedis {
  /** `password` sets requirepass; `args` are more redis-server arguments; `port` a fixed port. */
  constructor(options?: { password?: string; args?: string[]; port?: number });
  port: number;
  readonly child: ChildProcess | null;
  /** The URL of the server (with the password, when there is one). */
  readonly url: string;
  start(): Promise<void>;
  /** Kills the server (SIGKILL: nothing is saved). */
  kill(): Promise<void>;
  /** Restarts the server empty. */
  restartEmpty(): Promise<void>;
  /** Freezes the server (SIGSTOP). */
  freeze(): void;
  /** Lets a frozen server run again (SIGCONT). */
  thaw(): void;
  /** Kills the server and deletes its folder. */
  remove(): Promise<void>;
}

/**
 * A private Redis Sentinel setup: a primary (`nodes[0]` at first), its replica (`nodes[1]`) and
 * three Sentinels (quorum 2) on free loopback ports, with short failover timings.
 */
export class PrivateSentinelGroup {
  /**
   * `name`: the primary's name (default `mymaster`); `password`: requirepass and masterauth of the
   * data nodes; `sentinelPassword`: requirepass of the Sentinels; `downAfterMs` (default 1000) and
   * `failoverTimeoutMs` (default 3000): the Sentinels' timings.
   */
  constructor(options?: {
    name?: string;
    password?: string;
    sentinelPassword?: string;
    downAfterMs?: number;
    failoverTimeoutMs?: number;
  });
  readonly name: string;
  readonly password: string | undefined;
  readonly sentinelPassword: string | undefined;
  /** The data nodes: `nodes[0]` starts as the primary, `nodes[1]` as its replica. */
  readonly nodes: PrivateRedis[];
  /** The Sentinels' addresses, as a client takes them. */
  readonly sentinelAddresses: Array<{ host: string; port: number }>;
  /** Starts everything and waits until a failover could happen. */
  start(): Promise<void>;
  /** The port of the primary the Sentinels name now. */
  primaryPort(): Promise<number>;
  /** The data node the Sentinels name as the primary now. */
  primary(): Promise<PrivateRedis>;
  /** Waits until every Sentinel names another primary than the one on `oldPort`, and it answers as one. */
  waitForFailover(oldPort: number, ms?: number): Promise<void>;
  /** Sends one command to the server on `port`. */
  command(port: number, password: string | undefined, args: string[]): Promise<unknown>;
  /** Kills every process and deletes every folder. */
  remove(): Promise<void>;
}

/**
 * A TCP proxy in front of a server, to do to a client's connections what a network or a server
 * can do to them: drop them all, or hold up every answer. Listens on a free port of 127.0.0.1.
 */
export class FaultProxy {
  private constructor(upstreamHost: string, upstreamPort: number);
  /** Starts a proxy to `address` (`host:port`, the first of a comma-separated list). */
  static start(address: string): Promise<FaultProxy>;
  /** The port it listens on. */
  readonly port: number;
  /** How many connections are open through it. */
  readonly openConnections: number;
  /** Destroys every open connection; new ones are accepted. */
  dropConnections(): void;
  /** Holds every answer of the server until {@link FaultProxy.resume}. */
  stall(): void;
  /** Delivers the held answers and forwards again. */
  resume(): void;
  /** Drops every connection and stops listening. */
  close(): Promise<void>;
}
