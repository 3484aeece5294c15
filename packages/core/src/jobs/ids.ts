import { randomFillSync } from "node:crypto";

/** Makes job ids. Inject one to make ids predictable in tests. */
export type IdGenerator = () => string;

const HEX_DIGIT = Array.from("0123456789abcdef", (c) => c.charCodeAt(0));
const DASH = "-".charCodeAt(0);
/** Where each of the 16 bytes' two hex digits go in the 36-character id. */
const BYTE_POSITION = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];

/**
 * Returns a generator of UUID version 7 ids: 48 bits of milliseconds then a 26-bit counter
 * and random bits, so ids made by one process sort in creation order even within a millisecond.
 */
export function uuidv7Generator(now: () => number = Date.now): IdGenerator {
  const pool = new Uint8Array(4096);
  let poolPos = pool.length;
  let lastMs = -1;
  let counter = 0;
  const bytes = new Uint8Array(16);
  const chars = new Array<number>(36).fill(DASH);
  return () => {
    let ms = now();
    if (ms <= lastMs) {
      ms = lastMs;
      counter++;
      if (counter > 0x3ffffff) {
        ms = lastMs + 1;
        counter = 0;
      }
    } else {
      counter = 0;
    }
    lastMs = ms;
    if (poolPos + 8 > pool.length) {
      randomFillSync(pool);
      poolPos = 0;
    }
    // 48-bit timestamp
    bytes[0] = Math.floor(ms / 2 ** 40) & 0xff;
    bytes[1] = Math.floor(ms / 2 ** 32) & 0xff;
    bytes[2] = (ms >>> 24) & 0xff;
    bytes[3] = (ms >>> 16) & 0xff;
    bytes[4] = (ms >>> 8) & 0xff;
    bytes[5] = ms & 0xff;
    // version 7 + top 12 bits of the counter (rand_a)
    bytes[6] = 0x70 | ((counter >>> 22) & 0x0f);
    bytes[7] = (counter >>> 14) & 0xff;
    // variant + next 14 bits of the counter, then random
    bytes[8] = 0x80 | ((counter >>> 8) & 0x3f);
    bytes[9] = counter & 0xff;
    for (let i = 10; i < 16; i++) bytes[i] = pool[poolPos++]!;
    for (let i = 0; i < 16; i++) {
      const b = bytes[i]!;
      const at = BYTE_POSITION[i]!;
      chars[at] = HEX_DIGIT[b >> 4]!;
      chars[at + 1] = HEX_DIGIT[b & 15]!;
    }
    // One call builds a flat string; concatenating pieces would leave a rope that every Map
    // lookup of the id has to walk.
    return String.fromCharCode(...chars);
  };
}
