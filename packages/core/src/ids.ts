import { randomFillSync } from 'node:crypto';

const POOL_SIZE = 16 * 256;
const pool = new Uint8Array(POOL_SIZE);
let poolOffset = POOL_SIZE;
const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, '0'));

/**
 * A UUIDv7 (RFC 9562): millisecond timestamp first, so ids sort by creation time in logs.
 *
 * @example
 * ```ts
 * uuidv7(); // '019a5c1e-7f3a-7c21-9d4e-0b6a1f2e3d4c'
 * ```
 */
export function uuidv7(now: number = Date.now()): string {
  if (poolOffset + 10 > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const o = poolOffset;
  poolOffset += 10;
  const r = pool;
  return (
    timePrefix(Math.max(0, Math.floor(now))) +
    HEX[0x70 | ((r[o] as number) & 0x0f)] +
    HEX[r[o + 1] as number] +
    '-' +
    HEX[0x80 | ((r[o + 2] as number) & 0x3f)] +
    HEX[r[o + 3] as number] +
    '-' +
    HEX[r[o + 4] as number] +
    HEX[r[o + 5] as number] +
    HEX[r[o + 6] as number] +
    HEX[r[o + 7] as number] +
    HEX[r[o + 8] as number] +
    HEX[r[o + 9] as number]
  );
}

/** The ids of one millisecond share their first 15 characters (the timestamp): built once per millisecond. */
let lastPrefix = { ms: -1, prefix: '' };

function timePrefix(ms: number): string {
  if (ms === lastPrefix.ms) return lastPrefix.prefix;
  const hi = Math.floor(ms / 0x10000);
  const lo = ms % 0x10000;
  const h = (n: number) => HEX[n & 0xff] as string;
  const prefix = `${h(hi >>> 24) + h(hi >>> 16) + h(hi >>> 8) + h(hi)}-${h(lo >>> 8)}${h(lo)}-`;
  lastPrefix = { ms, prefix };
  return prefix;
}
