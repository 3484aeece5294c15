import { useState } from "preact/hooks";

/** Cursor paging state: the cursor of the page shown and the ones before it. */
export interface Pager {
  cursor: string | null;
  page: number;
  next: (cursor: string) => void;
  back: () => void;
  reset: () => void;
}

/** Keeps the cursors of the pages already seen, so "back" returns to the page before. */
export function usePager(): Pager {
  const [stack, setStack] = useState<(string | null)[]>([null]);
  return {
    cursor: stack[stack.length - 1] ?? null,
    page: stack.length,
    next: (cursor) => setStack([...stack, cursor]),
    back: () => setStack(stack.length > 1 ? stack.slice(0, -1) : stack),
    reset: () => setStack([null]),
  };
}

/** "back" and "next" buttons with the page number. */
export function PagerControls({
  pager,
  nextCursor,
}: {
  pager: Pager;
  nextCursor: string | null | undefined;
}) {
  return (
    <div class="pager">
      <button
        type="button"
        class="button ghost"
        data-testid="page-back"
        disabled={pager.page <= 1}
        onClick={pager.back}
      >
        ← back
      </button>
      <span data-testid="page-number">page {pager.page}</span>
      <button
        type="button"
        class="button ghost"
        data-testid="page-next"
        disabled={nextCursor === null || nextCursor === undefined}
        onClick={() => nextCursor && pager.next(nextCursor)}
      >
        next →
      </button>
    </div>
  );
}
