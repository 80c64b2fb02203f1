// Child process of crash.test.ts (issue 9 item 4), built on packages/audit/src/__support__/crash-child.mjs:
// the same side-channel idea, but through the zero-config runtime (`createWrit({ dir })` from `writ`:
// local authority, shipped Cedar policy, strict file log) instead of a hand-assembled pipeline.
//
// It keeps 10,000 tool calls in flight (100 tasks × 100 concurrent calls per round) until it is SIGKILLed.
// Every execution first appends its call id to the side channel and fdatasyncs it, BEFORE doing anything
// else, so the parent knows for certain which tools ran.
//
// argv: <writ dir> <side channel file> [tasks] [calls per task]
// Runs against the built packages (like the audit package's crash test; `npm test` builds first).
import { fdatasyncSync, openSync, writeSync } from 'node:fs';
import { createWrit } from 'writ';
import { z } from 'zod';

const [dir, sideChannel, tasksArg, perTaskArg] = process.argv.slice(2);
const TASKS = Number(tasksArg ?? 100);
const PER_TASK = Number(perTaskArg ?? 100);

const writ = createWrit({ dir }); // zero config: durability 'strict' is the default
await writ.ready();
const fd = openSync(sideChannel, 'a');
let flowing = false;
const tool = writ.tool({
  name: 'side_effect',
  risk: 'low', // the shipped policy allows low-risk writes within the task's scope (default ['*'])
  input: z.object({ n: z.number() }),
  execute: async ({ n }, ctx) => {
    writeSync(fd, `${ctx.call.id}\n`);
    fdatasyncSync(fd);
    if (!flowing) {
      flowing = true;
      process.stdout.write('flowing\n');
    }
    return n;
  },
});
process.stdout.write('ready\n');
let n = 0;
for (let round = 0; ; round++) {
  await Promise.all(
    Array.from({ length: TASKS }, (_, t) =>
      writ.task({ agent: `worker-${t % 8}`, intent: `round ${round} task ${t}` }, () =>
        Promise.all(Array.from({ length: PER_TASK }, () => tool.execute({ n: n++ }))),
      ),
    ),
  );
}
