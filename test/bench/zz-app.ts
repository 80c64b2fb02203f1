import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { captureCallEvents } from './fixtures.ts';

const events = await captureCallEvents();
async function mk(dir: string, batch?: number) {
  const audit: any = {
    ...(await import(pathToFileURL(resolve(dir, 'index.js')).href)),
    ...(await import(pathToFileURL(resolve(dir, 'internal.js')).href)),
  };
  const origin = 'x/y';
  return audit.createLogAppender({
    origin,
    signer: audit.createNoteSigner(audit.generateNoteKeys(origin).signerKey),
    storage: { write: async () => {}, sync: async () => {} },
    checkpointIntervalMs: 3600000,
    ...(batch ? { asyncBatchRecords: batch } : {}),
  });
}
const sides = [
  ['before', await mk('packages/audit/.ab-before')],
  ['after', await mk('packages/audit/dist')],
  ['after-b16', await mk('packages/audit/dist', 16)],
] as const;
for (let r = 0; r < 6; r++)
  for (const [label, app] of sides) {
    const N = 20000;
    const cpu = process.cpuUsage();
    const t = performance.now();
    for (let i = 0; i < N; i++) {
      await app.append(events[0], 'async');
      await app.append(events[1], 'async');
    }
    await app.flush();
    const u = process.cpuUsage(cpu);
    if (r >= 2)
      console.log(
        label,
        'cpu µs per call (2 records)',
        ((u.user + u.system) / N).toFixed(1),
        'wall',
        (((performance.now() - t) * 1000) / N).toFixed(1),
      );
  }
