// @ts-check
import { once } from "node:events";
import { createServer, Socket } from "node:net";

/**
 * A TCP proxy in front of a server, to do to a client's connections what a network or a server
 * can do to them: drop them all, or hold up every answer. Listens on a free port of 127.0.0.1.
 */
export class FaultProxy {
  /** @type {import("node:net").Server} */
  #server;
  /** @type {Set<{ client: Socket; upstream: Socket }>} */
  #pairs = new Set();
  #stalled = false;
  /** @type {Array<() => void>} */
  #held = [];

  /**
   * @param {string} upstreamHost
   * @param {number} upstreamPort
   */
  constructor(upstreamHost, upstreamPort) {
    this.#server = createServer((client) => {
      const upstream = new Socket();
      upstream.connect(upstreamPort, upstreamHost);
      const pair = { client, upstream };
      this.#pairs.add(pair);
      client.on("data", (chunk) => upstream.write(chunk));
      upstream.on("data", (chunk) => {
        // Held answers are released in order by resume().
        if (this.#stalled) this.#held.push(() => client.write(chunk));
        else client.write(chunk);
      });
      const end = () => {
        this.#pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      };
      client.on("close", end).on("error", end);
      upstream.on("close", end).on("error", end);
    });
  }

  /**
   * Starts a proxy to `address` (`host:port`, the first of a comma-separated list).
   * @param {string} address
   */
  static async start(address) {
    const [host, port] = /** @type {[string, string]} */ (
      /** @type {string} */ (address.split(",")[0]).split(":")
    );
    const proxy = new FaultProxy(host, Number(port));
    proxy.#server.listen(0, "127.0.0.1");
    await once(proxy.#server, "listening");
    return proxy;
  }

  /** The port it listens on. */
  get port() {
    return /** @type {import("node:net").AddressInfo} */ (this.#server.address()).port;
  }

  /** How many connections are open through it. */
  get openConnections() {
    return this.#pairs.size;
  }

  /** Destroys every open connection; new ones are accepted. */
  dropConnections() {
    for (const { client, upstream } of this.#pairs) {
      client.destroy();
      upstream.destroy();
    }
  }

  /** Holds every answer of the server until {@link resume}. */
  stall() {
    this.#stalled = true;
  }

  /** Delivers the held answers and forwards again. */
  resume() {
    this.#stalled = false;
    for (const deliver of this.#held.splice(0)) deliver();
  }

  /** Drops every connection and stops listening. */
  async close() {
    this.resume();
    this.dropConnections();
    await new Promise((resolve) => this.#server.close(() => resolve(undefined)));
  }
}
