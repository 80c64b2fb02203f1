// Test support: a log written by the real appender into memory, for the units that read lines.
import { createNoteSigner, generateNoteKeys } from '../checkpoint/signer-key.js';
import { createLogAppender } from '../log-appender.js';
import type { StoredLine } from '../log-reader.js';
import { event } from './log.js';

export interface MemoryLog {
  readonly origin: string;
  readonly verifierKey: string;
  /** The stored lines, without newlines, in index order. */
  readonly lines: Buffer[];
  /** The notes the appender published. */
  readonly published: string[];
}

/** `count` synthetic records appended (with a checkpoint every `checkpointEvery`), then closed. */
export async function memoryLog(count: number, checkpointEvery = 1_000): Promise<MemoryLog> {
  const origin = 'writ.test/audit/memory';
  const keys = generateNoteKeys(origin);
  const lines: Buffer[] = [];
  const published: string[] = [];
  const appender = createLogAppender({
    origin,
    signer: createNoteSigner(keys.signerKey),
    storage: {
      async write(batch) {
        for (const line of batch) lines.push(Buffer.from(line, 'utf8'));
      },
      async sync() {},
    },
    checkpointEvery,
    onCheckpoint: (note) => {
      published.push(note);
    },
  });
  // appended together, as concurrent calls do (log-appender.test.ts awaits them one at a time)
  await Promise.all(Array.from({ length: count }, (_, n) => appender.append(event(n), 'batched')));
  await appender.close();
  return { origin, verifierKey: keys.verifierKey, lines, published };
}

/** Stored lines as a reader yields them. */
export async function* storedLines(lines: readonly Buffer[]): AsyncGenerator<StoredLine> {
  for (const [index, bytes] of lines.entries()) {
    yield { bytes, complete: true, segment: 'memory', offset: index };
  }
}
