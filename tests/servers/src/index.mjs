// @ts-check
// Private database servers (and a PgBouncer in front of one) for fault tests. Each runs as a child
// of the test process on a free loopback port, in a folder of its own, and can be killed,
// restarted, frozen (SIGSTOP) and emptied without touching the shared development servers.
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export { FaultProxy } from "./fault-proxy.mjs";

/** @returns {Promise<number>} a TCP port on 127.0.0.1 that nothing listens on now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Waits until `probe` resolves true, trying every 50 ms; throws after `ms`.
 * @param {() => Promise<boolean>} probe
 * @param {number} ms
 * @param {string} what
 */
async function until(probe, ms, what) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms}ms waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * Whether a PostgreSQL connection to `url` opens within 1 s and answers `SELECT 1`; the client
 * is ended either way.
 * @param {string} url
 * @returns {Promise<boolean>}
 */
async function answersSelect(url) {
  const pg = (await import("pg")).default;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** The pids of `pid` and all its descendants (from /proc). @param {number} pid */
function processTree(pid) {
  /** @type {number[]} */
  const pids = [pid];
  for (let i = 0; i < pids.length; i++) {
    const children = `/proc/${pids[i]}/task/${pids[i]}/children`;
    if (!existsSync(children)) continue;
    let listed = "";
    try {
      listed = readFileSync(children, "utf8");
    } catch {
      // The process ended between the check and the read: it has no children left to find.
      continue;
    }
    for (const child of listed.split(/\s+/).filter(Boolean)) pids.push(Number(child));
  }
  return pids;
}

/**
 * Waits (at most 2 s) until every process of `pids` that still exists is stopped: state `T` in
 * `/proc/<pid>/stat`. Synchronous, so that `freeze()` returns with the server frozen.
 * @param {number[]} pids
 */
function waitUntilStopped(pids) {
  const deadline = Date.now() + 2_000;
  /** @param {number} pid */
  const stopped = (pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      return /^\S+ \(.*\) [Tt] /.test(stat);
    } catch {
      return true; // gone
    }
  };
  while (!pids.every(stopped) && Date.now() < deadline) {
    // Busy-wait a little: the signals take effect within microseconds.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
  }
}

/** @param {number[]} pids @param {NodeJS.Signals} signal */
function signalAll(pids, signal) {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}

const PG_BIN = (() => {
  for (const version of ["17", "16", "15", "14", "13"]) {
    const dir = `/usr/lib/postgresql/${version}/bin`;
    if (existsSync(join(dir, "initdb"))) return dir;
  }
  return "";
})();

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;

/**
 * Runs a PostgreSQL binary; as root, as the `postgres` user (PostgreSQL refuses to run as root).
 * @param {string} binary @param {string[]} args @param {{ stdio?: import("node:child_process").StdioOptions }} [options]
 */
function pgCommand(binary, args, options = {}) {
  const file = join(PG_BIN, binary);
  return isRoot
    ? { command: "runuser", args: ["-u", "postgres", "--", file, ...args], ...options }
    : { command: file, args, ...options };
}

/** A private PostgreSQL server (initdb in a temporary folder, its own port). */
export class PrivatePostgres {
  /** @param {{ password?: string, settings?: Record<string, string> }} [options] */
  constructor(options = {}) {
    this.password = options.password;
    this.settings = options.settings ?? {};
    /** @type {number} */
    this.port = 0;
    this.dir = "";
    this.dataDir = "";
  }

  /** Whether PostgreSQL's server binaries are installed here. */
  static available() {
    return PG_BIN !== "";
  }

  /** The URL of database `postgres` as the server's user (with the password, when there is one). */
  get url() {
    const auth = this.password === undefined ? "sched" : `sched:${encodeURIComponent(this.password)}`;
    return `postgres://${auth}@127.0.0.1:${this.port}/postgres`;
  }

  /** Creates the cluster (once) and starts the server; resolves once it accepts connections. */
  async start() {
    if (this.dir === "") {
      this.port = await freePort();
      this.dir = mkdtempSync(join(tmpdir(), "sched-pg-"));
      this.dataDir = join(this.dir, "data");
      const pwfile = join(this.dir, "pwfile");
      writeFileSync(pwfile, this.password ?? "unused");
      if (isRoot) {
        const { uid, gid } = postgresUser();
        chownSync(this.dir, uid, gid);
        chownSync(pwfile, uid, gid);
      }
      chmodSync(this.dir, 0o700);
      const auth =
        this.password === undefined ? ["--auth=trust"] : ["--auth=scram-sha-256", `--pwfile=${pwfile}`];
      const init = pgCommand("initdb", [
        "-D",
        this.dataDir,
        "-U",
        "sched",
        "--no-sync",
        "-E",
        "UTF8",
        ...auth,
      ]);
      execFileSync(init.command, init.args, { stdio: "ignore" });
    }
    const settings = {
      listen_addresses: "127.0.0.1",
      port: String(this.port),
      unix_socket_directories: this.dir,
      fsync: "on",
      max_connections: "100",
      ...this.settings,
    };
    const options = Object.entries(settings)
      .map(([key, value]) => `-c ${key}=${value}`)
      .join(" ");
    const start = pgCommand("pg_ctl", [
      "-D",
      this.dataDir,
      "-l",
      join(this.dir, "server.log"),
      "-o",
      options,
      "-w",
      "-t",
      "30",
      "start",
    ]);
    execFileSync(start.command, start.args, { stdio: "ignore" });
    await until(() => this.ready(), 30_000, `PostgreSQL on port ${this.port}`);
  }

  /** Whether the server accepts connections. */
  async ready() {
    return answersSelect(this.url);
  }

  /** The postmaster's pid, while it runs. */
  pid() {
    const file = join(this.dataDir, "postmaster.pid");
    if (!existsSync(file)) return null;
    return Number(readFileSync(file, "utf8").split("\n")[0]);
  }

  /**
   * Stops the server: `fast` (clean), or `immediate` (a crash: no checkpoint; the next start runs
   * crash recovery, and commits not yet flushed to the WAL are lost).
   * @param {"fast" | "immediate"} [mode]
   */
  async stop(mode = "fast") {
    this.thaw();
    const stop = pgCommand("pg_ctl", ["-D", this.dataDir, "-m", mode, "-w", "-t", "30", "stop"]);
    try {
      execFileSync(stop.command, stop.args, { stdio: "ignore" });
    } catch {
      // Not running.
    }
  }

  /** Stops (`mode`, default immediate: a crash) and starts the server again. @param {"fast" | "immediate"} [mode] */
  async restart(mode = "immediate") {
    await this.stop(mode);
    await this.start();
  }

  /** Freezes the server and every backend (SIGSTOP): connections stay open and nothing answers. */
  freeze() {
    const pid = this.pid();
    if (pid === null) return;
    // The postmaster first, so that it forks no backend any more. A signal takes effect when the
    // process next leaves the kernel: wait until it is stopped (a fork in progress may still add a
    // backend until then), and only then stop every process under it.
    signalAll([pid], "SIGSTOP");
    waitUntilStopped([pid]);
    const tree = processTree(pid);
    signalAll(tree, "SIGSTOP");
    waitUntilStopped(tree);
  }

  /** Lets a frozen server run again (SIGCONT). */
  thaw() {
    const pid = this.pid();
    if (pid !== null) signalAll(processTree(pid), "SIGCONT");
  }

  /** Runs SQL on the server as its superuser. @param {string} sql @param {unknown[]} [params] */
  async query(sql, params = []) {
    const pg = (await import("pg")).default;
    const client = new pg.Client({ connectionString: this.url });
    client.on("error", () => {});
    await client.connect();
    try {
      return await client.query(sql, params);
    } finally {
      await client.end().catch(() => {});
    }
  }

  /** Stops the server and deletes its folder. */
  async remove() {
    if (this.dir === "") return;
    await this.stop("immediate");
    rmSync(this.dir, { recursive: true, force: true });
    this.dir = "";
  }
}

/** @returns {{ uid: number, gid: number }} */
function postgresUser() {
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((entry) => entry.startsWith("postgres:"));
  if (line === undefined) throw new Error("there is no postgres user to run a private PostgreSQL as");
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

/** Where Debian (and most distributions) install PgBouncer; the first that exists is used. */
const PGBOUNCER_BIN = ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer", "/usr/local/bin/pgbouncer"].find((file) =>
  existsSync(file),
);

/**
 * A private PgBouncer in front of a PostgreSQL server, on its own loopback port, with its
 * configuration and log in a temporary folder. Clients log in without a password (`auth_type =
 * trust`, the user listed in its `auth_file`); PgBouncer logs in to the server as the target URL
 * says. PgBouncer refuses to run as root: as root it runs as the `postgres` user (`-u`), which
 * owns its folder.
 */
export class PrivatePgBouncer {
  /**
   * @param {{ target?: string, poolMode?: "session" | "transaction" | "statement", poolSize?: number, settings?: Record<string, string> }} [options]
   *   `target`: the server's URL (default `SCHED_POSTGRES_URL`, else the development server
   *   `postgres://root@127.0.0.1:5432/test`); its database is the one PgBouncer serves, under the
   *   same name. `poolMode` (default `transaction`), `poolSize`: server connections per user and
   *   database (`default_pool_size`, default 20); `settings`: more `[pgbouncer]` settings.
   */
  constructor(options = {}) {
    const target = new URL(
      options.target ?? process.env.SCHED_POSTGRES_URL ?? "postgres://root@127.0.0.1:5432/test",
    );
    this.targetHost = target.hostname || "127.0.0.1";
    this.targetPort = Number(target.port || 5432);
    this.user = decodeURIComponent(target.username) || "root";
    this.targetPassword = decodeURIComponent(target.password);
    this.database = decodeURIComponent(target.pathname.slice(1)) || this.user;
    this.poolMode = options.poolMode ?? "transaction";
    this.poolSize = options.poolSize ?? 20;
    this.settings = options.settings ?? {};
    this.port = 0;
    this.dir = "";
    /** @type {import("node:child_process").ChildProcess | null} */
    this.child = null;
  }

  /** Whether PgBouncer is installed here. */
  static available() {
    return PGBOUNCER_BIN !== undefined;
  }

  /** The installed PgBouncer's version, such as `1.18.0`. */
  static version() {
    if (PGBOUNCER_BIN === undefined)
      throw new Error("PgBouncer is not installed (apt-get install pgbouncer)");
    const text = execFileSync(PGBOUNCER_BIN, ["--version"], { encoding: "utf8" });
    const match = /PgBouncer (\d+\.\d+\.\d+)/.exec(text);
    if (match === null) throw new Error(`cannot read PgBouncer's version from: ${text}`);
    return /** @type {string} */ (match[1]);
  }

  /** The URL of the served database through PgBouncer, as the target's user (no password: trust). */
  get url() {
    return `postgres://${encodeURIComponent(this.user)}@127.0.0.1:${this.port}/${encodeURIComponent(this.database)}`;
  }

  /** The URL of PgBouncer's admin console (`SHOW POOLS`, `SHOW SERVERS`, ...). */
  get adminUrl() {
    return `postgres://${encodeURIComponent(this.user)}@127.0.0.1:${this.port}/pgbouncer`;
  }

  /** PgBouncer's log so far (for a failing test's message). */
  log() {
    const file = join(this.dir, "pgbouncer.log");
    return this.dir !== "" && existsSync(file) ? readFileSync(file, "utf8") : "";
  }

  /** Writes the configuration and starts PgBouncer; resolves once it serves the database. */
  async start() {
    if (PGBOUNCER_BIN === undefined)
      throw new Error("PgBouncer is not installed (apt-get install pgbouncer)");
    if (this.child !== null) return;
    if (this.dir === "") {
      this.port = await freePort();
      this.dir = mkdtempSync(join(tmpdir(), "sched-pgbouncer-"));
    }
    const [major = 0, minor = 0] = PrivatePgBouncer.version().split(".").map(Number);
    const server = [
      `host=${this.targetHost}`,
      `port=${this.targetPort}`,
      `dbname=${this.database}`,
      `user=${this.user}`,
      ...(this.targetPassword === "" ? [] : [`password=${this.targetPassword}`]),
    ].join(" ");
    const settings = {
      listen_addr: "127.0.0.1",
      listen_port: String(this.port),
      unix_socket_dir: "",
      auth_type: "trust",
      auth_file: join(this.dir, "users.txt"),
      admin_users: this.user,
      pool_mode: this.poolMode,
      default_pool_size: String(this.poolSize),
      max_client_conn: "1000",
      logfile: join(this.dir, "pgbouncer.log"),
      // pg sends none of these, but other clients (psql, JDBC) do.
      ignore_startup_parameters: "extra_float_digits",
      // From 1.21, PgBouncer can keep protocol-level prepared statements apart per client; 1.22
      // turns it on by default. Off, as in the releases most deployments run, so that a test can
      // show what a named statement does through a transaction pool.
      ...(major > 1 || (major === 1 && minor >= 21) ? { max_prepared_statements: "0" } : {}),
      ...this.settings,
    };
    const lines = [
      "[databases]",
      `${this.database} = ${server}`,
      "[pgbouncer]",
      ...Object.entries(settings).map(([key, value]) => `${key} = ${value}`),
    ];
    const config = join(this.dir, "pgbouncer.ini");
    writeFileSync(config, `${lines.join("\n")}\n`);
    writeFileSync(join(this.dir, "users.txt"), `"${this.user}" ""\n`);
    const args = [config];
    if (isRoot) {
      // PgBouncer will not run as root: it switches to the postgres user, who must own its log.
      const { uid, gid } = postgresUser();
      for (const file of [this.dir, config, join(this.dir, "users.txt")]) chownSync(file, uid, gid);
      args.unshift("-u", "postgres");
    }
    const child = spawn(PGBOUNCER_BIN, ["-q", ...args], { stdio: "ignore" });
    this.child = child;
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        this.child = null;
        throw new Error(`PgBouncer exited at start:\n${this.log()}`);
      }
      if (await this.ready()) return;
      if (Date.now() > deadline) {
        await this.stop();
        throw new Error(`PgBouncer on port ${this.port} did not serve within 30 s:\n${this.log()}`);
      }
      await sleep(50);
    }
  }

  /** Whether PgBouncer serves the database (a statement goes through to the server). */
  async ready() {
    return answersSelect(this.url);
  }

  /**
   * Runs a command on PgBouncer's admin console (`SHOW POOLS`, `SHOW SERVERS`); returns its rows.
   * The console speaks only the simple query protocol.
   * @param {string} command
   */
  async admin(command) {
    const pg = (await import("pg")).default;
    const client = new pg.Client({ connectionString: this.adminUrl });
    client.on("error", () => {});
    await client.connect();
    try {
      const result = await client.query(command);
      return result.rows;
    } finally {
      await client.end().catch(() => {});
    }
  }

  /** Stops PgBouncer at once (SIGTERM: its clients' connections are closed) and waits for it to exit. */
  async stop() {
    const child = this.child;
    this.child = null;
    if (child === null || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise((resolve) => {
      child.once("exit", resolve);
      child.kill("SIGTERM");
    });
  }

  /** Stops PgBouncer and deletes its folder. */
  async remove() {
    await this.stop();
    if (this.dir !== "") rmSync(this.dir, { recursive: true, force: true });
    this.dir = "";
  }
}

/** A private `redis-server` (no persistence unless asked), its own port. */
export class PrivateRedis {
  /**
   * @param {{ password?: string, args?: string[], port?: number }} [options] `password` sets
   *   `requirepass`; `args` are more `redis-server` arguments (e.g. `["--appendonly", "yes"]`).
   */
  constructor(options = {}) {
    this.password = options.password;
    this.args = options.args ?? [];
    this.port = options.port ?? 0;
    /** @type {import("node:child_process").ChildProcess | null} */
    this.child = null;
    this.dir = mkdtempSync(join(tmpdir(), "sched-redis-"));
  }

  /** The URL of the server (with the password, when there is one). */
  get url() {
    const auth = this.password === undefined ? "" : `:${encodeURIComponent(this.password)}@`;
    return `redis://${auth}127.0.0.1:${this.port}`;
  }

  /**
   * Starts the server and waits until it answers. A server that exits at once (its port not yet
   * free after a kill) is started again, so a restart never waits forever.
   */
  async start() {
    if (this.port === 0) this.port = await freePort();
    const { Redis } = await import("ioredis");
    for (let attempt = 1; ; attempt++) {
      const args = [
        "--port",
        String(this.port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        this.dir,
      ];
      if (this.password !== undefined) args.push("--requirepass", this.password);
      const child = spawn("redis-server", [...args, ...this.args], { stdio: "ignore" });
      this.child = child;
      const exited = new Promise((resolve) => child.once("exit", () => resolve("exited")));
      const probe = new Redis(this.url, {
        lazyConnect: true,
        retryStrategy: () => 50,
        maxRetriesPerRequest: null,
      });
      probe.on("error", () => {});
      try {
        const outcome = await Promise.race([probe.ping(), exited]);
        if (outcome !== "exited") return;
      } finally {
        probe.disconnect();
      }
      if (attempt >= 50) throw new Error(`redis-server on port ${this.port} keeps exiting at start`);
      await sleep(100);
    }
  }

  /** Kills the server (SIGKILL: nothing is saved) and waits for it to exit. */
  async kill() {
    const child = this.child;
    this.child = null;
    if (child === null || child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGCONT");
    await new Promise((resolve) => {
      child.once("exit", resolve);
      child.kill("SIGKILL");
    });
  }

  /** Restarts the server empty (as `SHUTDOWN NOSAVE` then a start without persistence would). */
  async restartEmpty() {
    await this.kill();
    await this.start();
  }

  /** Freezes the server (SIGSTOP): connections stay open and nothing answers. */
  freeze() {
    this.child?.kill("SIGSTOP");
  }

  /** Lets a frozen server run again (SIGCONT). */
  thaw() {
    this.child?.kill("SIGCONT");
  }

  /** Kills the server and deletes its folder. */
  async remove() {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A private Redis Sentinel setup: a primary, a replica of it and three Sentinels monitoring the
 * primary (quorum 2), each on a free loopback port with a folder of its own. Short timings, so
 * that a failover takes a few seconds: a primary is judged down after `downAfterMs` without an
 * answer.
 */
export class PrivateSentinelGroup {
  /**
   * @param {{ name?: string, password?: string, sentinelPassword?: string, downAfterMs?: number, failoverTimeoutMs?: number }} [options]
   *   `password`: `requirepass` and `masterauth` of the data nodes (the Sentinels get it as
   *   `auth-pass`); `sentinelPassword`: `requirepass` of the Sentinels.
   */
  constructor(options = {}) {
    this.name = options.name ?? "mymaster";
    this.password = options.password;
    this.sentinelPassword = options.sentinelPassword;
    this.downAfterMs = options.downAfterMs ?? 1000;
    this.failoverTimeoutMs = options.failoverTimeoutMs ?? 3000;
    const auth = this.password === undefined ? [] : ["--masterauth", this.password];
    /** The data nodes: `nodes[0]` starts as the primary, `nodes[1]` as its replica. */
    this.nodes = [
      new PrivateRedis({ password: this.password, args: auth }),
      new PrivateRedis({ password: this.password, args: auth }),
    ];
    /** @type {Array<{ port: number, dir: string, child: import("node:child_process").ChildProcess | null }>} */
    this.sentinels = [];
  }

  /** The Sentinels' addresses, as a client takes them. */
  get sentinelAddresses() {
    return this.sentinels.map((sentinel) => ({ host: "127.0.0.1", port: sentinel.port }));
  }

  /**
   * Starts the primary, the replica (waiting until it is in sync) and the Sentinels (waiting
   * until each knows the replica and the two other Sentinels, so that a failover can happen).
   */
  async start() {
    const primary = /** @type {PrivateRedis} */ (this.nodes[0]);
    const replica = /** @type {PrivateRedis} */ (this.nodes[1]);
    await primary.start();
    replica.args = [...replica.args, "--replicaof", "127.0.0.1", String(primary.port)];
    await replica.start();
    await until(
      async () =>
        /master_link_status:up/.test(
          String(await this.command(replica.port, this.password, ["INFO", "replication"])),
        ),
      30_000,
      "the replica to sync",
    );
    for (let i = 0; i < 3; i++) {
      /** @type {{ port: number, dir: string, child: import("node:child_process").ChildProcess | null }} */
      const sentinel = {
        port: await freePort(),
        dir: mkdtempSync(join(tmpdir(), "sched-sentinel-")),
        child: null,
      };
      this.sentinels.push(sentinel);
      const lines = [
        `port ${sentinel.port}`,
        "bind 127.0.0.1",
        `dir ${sentinel.dir}`,
        `sentinel monitor ${this.name} 127.0.0.1 ${primary.port} 2`,
        `sentinel down-after-milliseconds ${this.name} ${this.downAfterMs}`,
        `sentinel failover-timeout ${this.name} ${this.failoverTimeoutMs}`,
        `sentinel parallel-syncs ${this.name} 1`,
      ];
      if (this.password !== undefined) lines.push(`sentinel auth-pass ${this.name} ${this.password}`);
      if (this.sentinelPassword !== undefined) {
        lines.push(`requirepass ${this.sentinelPassword}`, `sentinel sentinel-pass ${this.sentinelPassword}`);
      }
      const file = join(sentinel.dir, "sentinel.conf");
      writeFileSync(file, `${lines.join("\n")}\n`);
      sentinel.child = spawn("redis-server", [file, "--sentinel"], { stdio: "ignore" });
    }
    for (const sentinel of this.sentinels) {
      await until(
        async () => {
          const replicas = await this.command(sentinel.port, this.sentinelPassword, [
            "SENTINEL",
            "REPLICAS",
            this.name,
          ]);
          const others = await this.command(sentinel.port, this.sentinelPassword, [
            "SENTINEL",
            "SENTINELS",
            this.name,
          ]);
          return (
            Array.isArray(replicas) && replicas.length === 1 && Array.isArray(others) && others.length === 2
          );
        },
        30_000,
        `Sentinel on port ${sentinel.port} to know the replica and the other Sentinels`,
      );
    }
  }

  /** The port of the primary the Sentinels name now (`SENTINEL GET-MASTER-ADDR-BY-NAME`). */
  async primaryPort() {
    for (const sentinel of this.sentinels) {
      const reply = await this.command(sentinel.port, this.sentinelPassword, [
        "SENTINEL",
        "GET-MASTER-ADDR-BY-NAME",
        this.name,
      ]).catch(() => null);
      if (Array.isArray(reply)) return Number(reply[1]);
    }
    throw new Error("no Sentinel answers");
  }

  /** The data node the Sentinels name as the primary now. */
  async primary() {
    const port = await this.primaryPort();
    const node = this.nodes.find((candidate) => candidate.port === port);
    if (node === undefined) throw new Error(`the Sentinels name an unknown primary on port ${port}`);
    return node;
  }

  /**
   * Waits until every Sentinel names a primary other than the one on `oldPort`, and that node
   * answers as a primary (`ROLE`). @param {number} oldPort @param {number} [ms]
   */
  async waitForFailover(oldPort, ms = 60_000) {
    await until(
      async () => {
        for (const sentinel of this.sentinels) {
          const reply = await this.command(sentinel.port, this.sentinelPassword, [
            "SENTINEL",
            "GET-MASTER-ADDR-BY-NAME",
            this.name,
          ]);
          if (!Array.isArray(reply) || Number(reply[1]) === oldPort) return false;
        }
        const role = await this.command(await this.primaryPort(), this.password, ["ROLE"]);
        return Array.isArray(role) && role[0] === "master";
      },
      ms,
      `a failover away from port ${oldPort}`,
    );
  }

  /**
   * Sends one command to the server on `port` with a short-lived connection.
   * @param {number} port @param {string | undefined} password @param {string[]} args
   */
  async command(port, password, args) {
    const { Redis } = await import("ioredis");
    const client = new Redis({
      host: "127.0.0.1",
      port,
      ...(password === undefined ? {} : { password }),
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      connectTimeout: 1000,
      commandTimeout: 2000,
    });
    client.on("error", () => {});
    try {
      await client.connect();
      const [command, ...rest] = args;
      return await client.call(/** @type {string} */ (command), ...rest);
    } finally {
      client.disconnect();
    }
  }

  /** Kills every process and deletes every folder. */
  async remove() {
    for (const sentinel of this.sentinels) {
      const child = sentinel.child;
      sentinel.child = null;
      if (child !== null && child.exitCode === null && child.signalCode === null) {
        await new Promise((resolve) => {
          child.once("exit", resolve);
          child.kill("SIGKILL");
        });
      }
      rmSync(sentinel.dir, { recursive: true, force: true });
    }
    this.sentinels = [];
    for (const node of this.nodes) await node.remove();
  }
}
