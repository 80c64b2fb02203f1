// A replica for the one-switch fleet test (issue 20 item 7): the zero-config runtime of the `writ` package with
// `store: postgres(url)` and nothing else about fleets. It runs one task whose tool prints its credentials and
// then never returns (the test SIGKILLs it there). Runs the BUILT packages: build first.
import { createInMemoryPolicy } from '@writ/core/testing';
import { postgres } from '@writ/postgres';
import { createWrit } from 'writ';
import { z } from 'zod';

const { DATABASE_URL, WRIT_DIR } = process.env;
setInterval(() => undefined, 60_000); // stays alive until killed

const writ = createWrit({
  service: 'support',
  dir: WRIT_DIR,
  publicDir: false,
  policy: createInMemoryPolicy({ fallback: 'allow' }),
  store: postgres(DATABASE_URL, { fleet: { leases: { ttlMs: 1_500, renewEveryMs: 300 }, reaper: false } }),
});
const { localIdentity } = await writ.ready();
const refund = writ.tool({
  name: 'refund_order',
  input: z.object({ orderId: z.string() }),
  execute: async (_args, ctx) => {
    process.stdout.write(
      `${JSON.stringify({ taskId: ctx.attribution.taskId, taskJti: ctx.attribution.credential?.jti })}\n`,
    );
    await new Promise(() => undefined); // mid-task, forever
  },
});
const alice = await localIdentity.issueRequesterToken({ sub: 'alice@example.com' });
await writ.task({ requester: alice, agent: 'support', intent: 'Refund order 42' }, () =>
  refund.execute({ orderId: '42' }),
);
