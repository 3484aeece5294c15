/** `YYYY-MM-DD`, then optionally `THH:MM` or `THH:MM:SS`, and anything after (fraction, offset). */
const CALENDAR = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2}))?)?/;
/** A numeric UTC offset at the end of the text: `+02:00`, `-0530`. */
const OFFSET = /[+-](\d{2}):?(\d{2})$/;

/**
 * Whether the calendar fields of an ISO 8601 (RFC 3339) date-time are in range: a month from 1 to
 * 12, a day that month has (February 29 only in leap years of the proleptic Gregorian calendar),
 * an hour from 0 to 23, minutes and seconds from 0 to 59, and an offset's hours from 0 to 23 and
 * minutes from 0 to 59. `Date.parse` rolls such a text over instead (`2026-02-30` is March 2,
 * `2026-04-31` is May 1), so code that takes instants from people checks them with this first.
 * Only the fields are checked, not the rest of the syntax: text that does not start with
 * `YYYY-MM-DD` is `false`. A leap second (`:60`) is `false`, as JavaScript dates cannot hold it.
 *
 * @param text - the date-time as written, e.g. `2026-02-28T23:59:59.999+01:00`.
 */
export function isValidIsoCalendar(text: string): boolean {
  const match = CALENDAR.exec(text);
  if (match === null) return false;
  const [, y, mo, d, h, mi, s] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return false;
  if (h !== undefined && (Number(h) > 23 || Number(mi) > 59)) return false;
  if (s !== undefined && Number(s) > 59) return false;
  const offset = h === undefined ? null : OFFSET.exec(text);
  return offset === null || (Number(offset[1]) <= 23 && Number(offset[2]) <= 59);
}

/** The days of `month` (1-12) in `year` of the proleptic Gregorian calendar. */
function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}
