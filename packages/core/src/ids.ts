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
  const r = pool.subarray(poolOffset, poolOffset + 10);
  poolOffset += 10;
  const ms = Math.max(0, Math.floor(now));
  const hi = Math.floor(ms / 0x10000);
  const lo = ms % 0x10000;
  const h = (n: number) => HEX[n & 0xff] as string;
  return (
    h(hi >>> 24) +
    h(hi >>> 16) +
    h(hi >>> 8) +
    h(hi) +
    '-' +
    h(lo >>> 8) +
    h(lo) +
    '-' +
    h(0x70 | ((r[0] as number) & 0x0f)) +
    h(r[1] as number) +
    '-' +
    h(0x80 | ((r[2] as number) & 0x3f)) +
    h(r[3] as number) +
    '-' +
    h(r[4] as number) +
    h(r[5] as number) +
    h(r[6] as number) +
    h(r[7] as number) +
    h(r[8] as number) +
    h(r[9] as number)
  );
}
