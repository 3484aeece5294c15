// Starts a local Redis Cluster of three primaries on loopback ports (redis-server
// --cluster-enabled yes, then redis-cli --cluster create), for tests that must prove a store or
// leader works on Cluster. Each node is a child process of the test run; stop() ends them and
// removes their folder.
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Cluster, Redis } from "ioredis";

const run = promisify(execFile);
const HOST = "127.0.0.1";

/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** @param {number} port @param {string[]} args */
async function cli(port, args) {
  const { stdout } = await run("redis-cli", ["-h", HOST, "-p", String(port), ...args], { timeout: 10_000 });
  return stdout.trim();
}

/** @param {number} port @param {(out: string) => boolean} ok @param {string} what */
async function waitFor(port, args, ok, what, ms = 15_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      if (ok(await cli(port, args))) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline)
      throw new Error(`Redis Cluster node ${HOST}:${port}: timed out waiting for ${what}`);
    await sleep(100);
  }
}

/**
 * @param {{ basePort: number, nodes?: number }} options
 * @returns {Promise<import("./index.js").RedisCluster>}
 */
export async function startRedisCluster({ basePort, nodes: count = 3 }) {
  const ports = Array.from({ length: count }, (_, i) => basePort + i);
  // A cluster left behind by an interrupted run would refuse to be created again.
  await Promise.all(ports.map((port) => cli(port, ["shutdown", "nosave"]).catch(() => {})));
  const dir = mkdtempSync(join(tmpdir(), "sched-redis-cluster-"));
  const children = ports.map((port) =>
    spawn(
      "redis-server",
      [
        "--port",
        String(port),
        "--bind",
        HOST,
        "--cluster-enabled",
        "yes",
        "--cluster-config-file",
        `nodes-${port}.conf`,
        "--cluster-node-timeout",
        "2000",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        dir,
        "--daemonize",
        "no",
        "--loglevel",
        "warning",
      ],
      { stdio: "ignore" },
    ),
  );
  const stop = async () => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve(undefined);
            child.once("exit", () => resolve(undefined));
            child.kill("SIGTERM");
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) await waitFor(port, ["ping"], (out) => out === "PONG", "PONG");
    await run(
      "redis-cli",
      [
        "--cluster",
        "create",
        ...ports.map((p) => `${HOST}:${p}`),
        "--cluster-replicas",
        "0",
        "--cluster-yes",
      ],
      { timeout: 30_000 },
    );
    for (const port of ports) {
      await waitFor(port, ["cluster", "info"], (out) => out.includes("cluster_state:ok"), "cluster_state:ok");
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const nodes = ports.map((port) => ({ host: HOST, port }));
  return {
    nodes,
    client: (options = {}) => new Cluster(nodes, { lazyConnect: false, ...options }),
    node: (index = 0) => new Redis({ host: HOST, port: ports[index] ?? ports[0] }),
    stop,
  };
}
