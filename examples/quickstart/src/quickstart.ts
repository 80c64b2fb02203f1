import { createWrit, defineAgent } from 'writ';
import { z } from 'zod';

const orders = new Map([['42', { orderId: '42', status: 'shipped', total: 480 }]]);

/** Looks order 42 up for alice through Writ; returns what the evidence check needs. */
export async function lookupOrderFor(options: { dir: string }) {
  // Zero configuration beyond where to keep state: local authority, shipped Cedar policies, file log.
  const writ = createWrit({
    dir: options.dir,
    service: 'support-desk',
    agents: [
      defineAgent({
        id: 'support-bot',
        owner: 'support-platform@example.com',
        purpose: 'Resolve tickets',
        scope: ['orders:*'],
      }),
    ],
  });

  const lookupOrder = writ.tool({
    name: 'lookup_order',
    input: z.object({ orderId: z.string() }),
    resource: ({ orderId }) => ({ type: 'Order', id: orderId }),
    permission: 'orders:read',
    annotations: { readOnly: true },
    execute: async ({ orderId }) => orders.get(orderId) ?? null,
  });

  // For local development the embedded authority signs users in; in production pass the user's OIDC token.
  const { localIdentity, fileAudit } = await writ.ready();
  const aliceToken = await localIdentity?.issueRequesterToken({ sub: 'alice@example.com' });

  const { taskId, order } = await writ.task(
    { requester: aliceToken, agent: 'support-bot', intent: 'Where is order 42?' },
    async (task) => ({
      taskId: task.attribution.taskId,
      order: await lookupOrder.execute({ orderId: '42' }),
    }),
  );
  await writ.close();
  return { taskId, order, auditDir: fileAudit?.dir ?? '', verifierKey: fileAudit?.verifierKey ?? '' };
}
