/**
 * The time of `value` in ms since the epoch when it is a real `Date` (`NaN` for an invalid one),
 * and `NaN` for anything else. Never throws: a revoked proxy, a proxy of a Date, or an object made
 * from `Date.prototype` (which pass or break `instanceof`) is not a Date here, and a Date
 * subclass's own `getTime` is not called.
 */
export function dateMs(value: unknown): number {
  try {
    return value instanceof Date ? Date.prototype.getTime.call(value) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Whether `value` is a real `Date` (valid or not); never throws (see {@link dateMs}). */
export function isDate(value: unknown): value is Date {
  try {
    if (!(value instanceof Date)) return false;
    Date.prototype.getTime.call(value);
    return true;
  } catch {
    return false;
  }
}
