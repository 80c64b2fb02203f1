// Child process for the crash test: appends under load through the real pipeline until it is killed.
// Every tool execution writes its call id to a side channel (fs.writeSync: in the kernel as soon as the
// call returns, so it survives SIGKILL).
import { openSync, writeSync } from 'node:fs';
import { createFileAuditSink } from '@writ/audit';
import { createWrit } from '@writ/core';
import { createInMemoryPolicy } from '@writ/core/testing';
import { z } from 'zod';

const [dir, keyDir, sideChannel] = process.argv.slice(2);
const audit = await createFileAuditSink({ dir, keyDir, checkpointEvery: 500 });
const writ = createWrit({ audit, policy: createInMemoryPolicy({ fallback: 'allow' }) });
const fd = openSync(sideChannel, 'a');
const tool = writ.tool({
  name: 'side_effect',
  input: z.object({ n: z.number() }),
  execute: async ({ n }, ctx) => {
    writeSync(fd, `${ctx.call.id}\n`);
    return n;
  },
});
process.stdout.write('ready\n');
let n = 0;
for (;;) {
  await Promise.all(
    Array.from({ length: 250 }, () => writ.task({ agent: 'worker' }, () => tool.execute({ n: n++ }))),
  );
}
