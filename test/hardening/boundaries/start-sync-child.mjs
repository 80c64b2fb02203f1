// Child process for start-sync.test.ts: a zero-config tool server (`createWrit({ dir })`: strict, the
// file log, whose sink declares `orderedSync`) runs continued tasks back to back until it is SIGKILLed.
// Two side channels, both written with fs.writeSync (in the kernel at once, so they survive SIGKILL):
// - `side`: what left the process — `exec <task>` when a tool ran, `returned <task>` when a task that ran
//   no tool returned its result, `hop <task>` when a task (left open) was handed a hop credential for
//   another service;
// - `synced`: `<path>\t<bytes>` each time an fdatasync of a file finished, with the file's size when that
//   sync began (what it made durable). The test keeps only those bytes to model a power cut.
import { fstatSync, openSync, readlinkSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';

const [dir, sideFile, syncedFile, mode] = process.argv.slice(2);
const side = openSync(sideFile, 'a');
const synced = openSync(syncedFile, 'a');

// every FileHandle shares one prototype: wrap its datasync to note what each sync covered
const probe = await open(syncedFile, 'r');
const proto = Object.getPrototypeOf(probe);
await probe.close();
const datasync = proto.datasync;
proto.datasync = async function patchedDatasync() {
  const path = readlinkSync(`/proc/self/fd/${this.fd}`);
  const size = fstatSync(this.fd).size;
  await datasync.call(this);
  writeSync(synced, `${path}\t${size}\n`);
};

const { createWrit } = await import('writ');
const { hopCredential } = await import('@writ/core/adapter');
const { z } = await import('zod');

const writ = createWrit({ dir, durability: 'strict', service: 'orders-mcp' });
await writ.ready();
const lookup = writ.tool({
  name: 'lookup_order',
  input: z.object({ orderId: z.string() }),
  resource: ({ orderId }) => ({ type: 'Order', id: orderId }),
  risk: 'low',
  annotations: { readOnly: true },
  execute: async ({ orderId }, ctx) => {
    writeSync(side, `exec ${ctx.attribution.taskId}\n`);
    return { orderId };
  },
});
const TASK = { agent: 'orders-mcp', intent: 'Where is order 42?', scope: ['*'] };
process.stdout.write('ready\n');
if (mode === 'hop') {
  // tasks that hand a credential to another service and stay open: only the hop can cover their start
  for (;;) {
    void writ.task(TASK, async (task) => {
      const credential = await hopCredential('https://payments.example.com');
      if (credential !== undefined) writeSync(side, `hop ${task.attribution.taskId}\n`);
      await new Promise((resolve) => setTimeout(resolve, 60_000));
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
let n = 0;
for (;;) {
  // a few requests in flight at once, as a server has
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      const orderId = String(n++);
      if (mode === 'call') {
        await writ.task(TASK, () => lookup.execute({ orderId }));
      } else {
        const id = await writ.task(TASK, async (task) => task.attribution.taskId);
        writeSync(side, `returned ${id}\n`);
      }
    }),
  );
}
