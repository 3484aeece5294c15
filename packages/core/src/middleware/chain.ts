import { InvalidArgumentError } from "../errors.js";
import type { Hook } from "../hooks/hook.js";
import type { HandlerFn } from "../jobs/handler.js";
import type { AttachedScheduler, Middleware } from "./middleware.js";

/**
 * Composes middleware into one: the first wraps all the others, so `chain(a, b)(h)` runs
 * `a` around `b` around `h`. The optional members of the parts (`hooks`, `wrapEnqueue`,
 * `wrapTick`, `attach`) are kept, in the same order.
 *
 * @throws InvalidArgumentError (`INVALID_ARGUMENT`) naming `middleware[i]` when a part is not a function.
 * @example
 * s.use(chain(recovery(logger), logging(logger)));
 */
export function chain(...middleware: Middleware[]): Middleware {
  middleware.forEach((mw, i) => {
    if (typeof mw !== "function") {
      throw new InvalidArgumentError(
        `middleware[${i}]`,
        `expected a middleware function, got ${mw === null ? "null" : typeof mw}`,
      );
    }
  });
  const composed = (next: HandlerFn) => {
    let handler = next;
    for (let i = middleware.length - 1; i >= 0; i--) handler = middleware[i]!(handler);
    return handler;
  };
  const hooks: Hook[] = middleware.flatMap((mw) => mw.hooks ?? []);
  const enqueue = middleware.flatMap((mw) => (mw.wrapEnqueue ? [mw.wrapEnqueue] : []));
  const ticks = middleware.flatMap((mw) => (mw.wrapTick ? [mw.wrapTick] : []));
  const attachers = middleware.flatMap((mw) => (mw.attach ? [mw.attach] : []));
  if (hooks.length + enqueue.length + ticks.length + attachers.length === 0) return composed;
  return Object.assign(composed, {
    ...(hooks.length > 0 && { hooks }),
    ...(enqueue.length > 0 && { wrapEnqueue: nest(enqueue) }),
    ...(ticks.length > 0 && { wrapTick: nest(ticks) }),
    ...(attachers.length > 0 && {
      attach(scheduler: AttachedScheduler) {
        const detachers = attachers.map((attach) => attach(scheduler)).filter((d) => typeof d === "function");
        return () => {
          for (const detach of detachers) detach();
        };
      },
    }),
  });
}

/** Nests wrappers of the same shape: the first is the outermost. */
export function nest<A, R>(
  wrappers: ReadonlyArray<(arg: A, next: () => Promise<R>) => Promise<R>>,
): (arg: A, next: () => Promise<R>) => Promise<R> {
  return (arg, inner) => {
    let call = inner;
    for (let i = wrappers.length - 1; i >= 0; i--) {
      const wrapper = wrappers[i]!;
      const next = call;
      call = () => wrapper(arg, next);
    }
    return call();
  };
}
