import type { HandlerFn, Middleware } from "../types.js";

/**
 * Composes middleware into one: the first wraps all the others, so `chain(a, b)(h)` runs
 * `a` around `b` around `h`.
 *
 * @example
 * s.use(chain(recovery(logger), logging(logger)));
 */
export function chain(...middleware: Middleware[]): Middleware {
  return (next: HandlerFn) => {
    let handler = next;
    for (let i = middleware.length - 1; i >= 0; i--) handler = middleware[i]!(handler);
    return handler;
  };
}
