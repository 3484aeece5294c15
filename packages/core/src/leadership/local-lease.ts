/**
 * The local side of a leadership lease, which every {@link Leader} adapter keeps the same way:
 * the term, whether this instance leads, the deadline (by its own monotonic clock) after which it
 * stops leading unless a renewal succeeds first, and the `onLeaderChange` listeners.
 *
 * Adapters decide with the backend who holds the lease; this class only records the outcome and
 * tells listeners. A listener that throws never changes who leads.
 */
export class LocalLease {
  private readonly listeners = new Set<(isLeader: boolean, term: number) => void>();
  private leading = false;
  private deadline = 0;
  private currentTerm = 0;

  /** `now` is the monotonic clock deadlines are compared with; default `performance.now()`. */
  constructor(private readonly now: () => number = () => performance.now()) {}

  /** The term of the current or last leadership (0 before the first). */
  get term(): number {
    return this.currentTerm;
  }

  /** Whether this instance leads; steps down (telling listeners) once the deadline has passed. */
  isLeader(): boolean {
    if (this.leading && this.now() >= this.deadline) this.stepDown();
    return this.leading;
  }

  /** Starts a new leadership with `term`, valid until `deadline`; a previous one ends first. */
  gain(term: number, deadline: number): void {
    this.stepDown();
    this.currentTerm = term;
    this.deadline = deadline;
    this.leading = true;
    this.emit(true);
  }

  /**
   * Extends the current leadership to `deadline`. Returns false, changing nothing, when this
   * instance no longer leads (its lease ran out while the renewal was in flight).
   */
  renew(deadline: number): boolean {
    if (!this.leading) return false;
    this.deadline = deadline;
    return true;
  }

  /** Ends the leadership, if any, and tells listeners. */
  stepDown(): void {
    if (!this.leading) return;
    this.leading = false;
    this.emit(false);
  }

  /** Subscribes to gains and losses; returns the unsubscribe function (one per subscription). */
  onLeaderChange(listener: (isLeader: boolean, term: number) => void): () => void {
    const subscription = (isLeader: boolean, term: number): void => listener(isLeader, term);
    this.listeners.add(subscription);
    return () => {
      this.listeners.delete(subscription);
    };
  }

  /** Drops every listener (on close). */
  clearListeners(): void {
    this.listeners.clear();
  }

  private emit(isLeader: boolean): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(isLeader, this.currentTerm);
      } catch {
        // A listener's failure must not change who leads.
      }
    }
  }
}
