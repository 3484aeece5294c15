// A copy of packages/leader-mongodb/test/proxy.ts: the test packages do not import each other.
import { once } from "node:events";
import { createServer, type Server, type Socket } from "node:net";

/**
 * A TCP proxy in front of a server, to do to a leader's connections what a network or a server
 * can do to them: drop them all, or hold up every answer. Listens on a free port of 127.0.0.1.
 */
export class FaultProxy {
  private readonly server: Server;
  private readonly pairs = new Set<{ client: Socket; upstream: Socket }>();
  private stalled = false;
  private readonly held: Array<() => void> = [];

  private constructor(upstreamHost: string, upstreamPort: number) {
    this.server = createServer((client) => {
      const upstream = new (client.constructor as typeof Socket)();
      upstream.connect(upstreamPort, upstreamHost);
      const pair = { client, upstream };
      this.pairs.add(pair);
      client.on("data", (chunk) => upstream.write(chunk));
      upstream.on("data", (chunk) => {
        // Held answers are released in order by resume().
        if (this.stalled) this.held.push(() => client.write(chunk));
        else client.write(chunk);
      });
      const end = () => {
        this.pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      };
      client.on("close", end).on("error", end);
      upstream.on("close", end).on("error", end);
    });
  }

  /** Starts a proxy to `address` (`host:port`, the first of a list). */
  static async start(address: string): Promise<FaultProxy> {
    const [host, port] = (address.split(",")[0] as string).split(":") as [string, string];
    const proxy = new FaultProxy(host, Number(port));
    proxy.server.listen(0, "127.0.0.1");
    await once(proxy.server, "listening");
    return proxy;
  }

  /** The port it listens on. */
  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  /** How many connections are open through it. */
  get openConnections(): number {
    return this.pairs.size;
  }

  /** Destroys every open connection; new ones are accepted. */
  dropConnections(): void {
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
  }

  /** Holds every answer of the server until {@link resume}. */
  stall(): void {
    this.stalled = true;
  }

  /** Delivers the held answers and forwards again. */
  resume(): void {
    this.stalled = false;
    for (const deliver of this.held.splice(0)) deliver();
  }

  /** Drops every connection and stops listening. */
  async close(): Promise<void> {
    this.resume();
    this.dropConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
