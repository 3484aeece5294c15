/**
 * A binary min-heap that tells each item its position, so an item can be removed from the middle
 * in O(log n) (a cancelled waiting job leaves its heap at once instead of lingering as a stale
 * entry). Items must not change their ordering key while they are in the heap.
 *
 * @internal
 */
export class IndexedHeap<T> {
  private readonly items: T[] = [];

  /**
   * @param before - whether `a` must come out before `b` (a strict order without ties).
   * @param setIndex - records the item's position in this heap; `-1` once it leaves.
   */
  constructor(
    private readonly before: (a: T, b: T) => boolean,
    private readonly setIndex: (item: T, index: number) => void,
  ) {}

  /** How many items the heap holds. */
  get size(): number {
    return this.items.length;
  }

  /** The first item, without removing it. */
  peek(): T | undefined {
    return this.items[0];
  }

  /** Adds an item in O(log n). */
  push(item: T): void {
    const index = this.items.length;
    this.items.push(item);
    this.siftUp(item, index);
  }

  /** Removes and returns the first item in O(log n). */
  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    if (top === undefined) return undefined;
    const last = items.pop() as T;
    this.setIndex(top, -1);
    if (items.length > 0) this.siftDown(last, 0);
    return top;
  }

  /** Removes the item at `index` (as last reported through `setIndex`) in O(log n). */
  removeAt(index: number): void {
    const items = this.items;
    const removed = items[index];
    if (removed === undefined) return;
    const last = items.pop() as T;
    this.setIndex(removed, -1);
    if (index === items.length) return;
    // The moved item may belong above or below the hole; exactly one of these moves it.
    if (index > 0 && this.before(last, items[(index - 1) >> 1] as T)) this.siftUp(last, index);
    else this.siftDown(last, index);
  }

  /** Removes every item. */
  clear(): void {
    for (const item of this.items) this.setIndex(item, -1);
    this.items.length = 0;
  }

  private siftUp(item: T, start: number): void {
    const items = this.items;
    let index = start;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = items[parentIndex] as T;
      if (!this.before(item, parent)) break;
      items[index] = parent;
      this.setIndex(parent, index);
      index = parentIndex;
    }
    items[index] = item;
    this.setIndex(item, index);
  }

  private siftDown(item: T, start: number): void {
    const items = this.items;
    const length = items.length;
    let index = start;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      let child = left;
      if (right < length && this.before(items[right] as T, items[left] as T)) child = right;
      const childItem = items[child] as T;
      if (!this.before(childItem, item)) break;
      items[index] = childItem;
      this.setIndex(childItem, index);
      index = child;
    }
    items[index] = item;
    this.setIndex(item, index);
  }
}
