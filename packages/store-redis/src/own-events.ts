import { randomUUID } from "node:crypto";
import type { StoreEvent } from "@sched/core/adapter";

/**
 * The most calls followed at once. A call whose echo never comes (the event connection was down)
 * stays followed until this many newer calls push it out; an echo that comes after that is
 * delivered as any other event.
 */
const MAX_FOLLOWED = 10_000;

/**
 * Where a followed call is: `sent` (neither its reply nor its echo has come), `echoed` (its echo
 * came first and is held until the reply), `delivered` (its reply came and delivered the event;
 * the echo, when it comes, is dropped).
 */
type CallState = "sent" | "echoed" | "delivered";

/**
 * The jobs events of this store's own enqueues, delivered to its listeners once each.
 *
 * An enqueue's script publishes `j<queue>\n<token>` (see `scripts/includes/events.lua`), which
 * every instance hears, this one included: its echo. The caller that enqueued (the scheduler)
 * wakes its own workers when the call returns, so an echo heard after that would make them claim
 * a second time for the same jobs, and the claim would come back empty. Here each call's event is
 * delivered when its reply comes, in the same turn of the event loop as the caller's own wake-up
 * (so both make one claim), and the echo is dropped; an echo that comes before the reply is held
 * until then. A call that fails without a reply delivers a held echo at once, and an echo of a
 * call not followed (any other instance's, or one pushed out) is delivered as it comes: when in
 * doubt, the listeners hear it. Every listener of this store still hears each event, even when
 * the event connection is down: the reply delivers it.
 */
export class OwnEvents {
  private readonly calls = new Map<string, { queue: string; state: CallState }>();
  private nextCall = 0;

  constructor(
    /** Calls every listener of the store with an event. */
    private readonly deliver: (event: StoreEvent) => void,
    /** Tells this store's tokens from every other store's: unique to this object. */
    private readonly origin: string = randomUUID(),
  ) {}

  /**
   * Starts following a call about to be sent that inserts jobs into `queue`: returns the token its
   * script publishes with.
   */
  begin(queue: string): string {
    const token = `${this.origin}:${(this.nextCall++).toString(36)}`;
    this.calls.set(token, { queue, state: "sent" });
    if (this.calls.size > MAX_FOLLOWED) this.forgetOldest();
    return token;
  }

  /**
   * A jobs event with `token` came on the event connection: returns whether to deliver it now
   * (false: its call delivers it, or did).
   */
  heard(token: string): boolean {
    const call = this.calls.get(token);
    if (call === undefined) return true;
    if (call.state === "sent") call.state = "echoed";
    else if (call.state === "delivered") this.calls.delete(token);
    return false;
  }

  /**
   * The reply of the call with `token` (about `queue`) came: delivers its event when its script
   * published one (`published`), or a held echo.
   */
  replied(token: string, queue: string, published: boolean): void {
    const call = this.calls.get(token);
    if (published || call?.state === "echoed") this.deliver({ type: "jobs", queue });
    if (call === undefined) return;
    if (published && call.state === "sent") call.state = "delivered";
    else this.calls.delete(token);
  }

  /** The call with `token` failed without a reply: a held echo is delivered now, a later one when it comes. */
  failed(token: string): void {
    const call = this.calls.get(token);
    this.calls.delete(token);
    if (call?.state === "echoed") this.deliver({ type: "jobs", queue: call.queue });
  }

  /** How many calls are followed (for tests). */
  get followed(): number {
    return this.calls.size;
  }

  private forgetOldest(): void {
    const [token, call] = this.calls.entries().next().value as [string, { queue: string; state: CallState }];
    this.calls.delete(token);
    // A held echo is the only word of its change so far: it is not dropped with its call.
    if (call.state === "echoed") this.deliver({ type: "jobs", queue: call.queue });
  }
}
