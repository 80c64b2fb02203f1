// A small log written through the pipeline: two tasks of three calls each (allowed, allowed, denied) and a
// delegated task, for the shared-context tests. Plain JavaScript taking the packages as arguments, so the
// same scenario writes the version-1 fixture (with the dist of the commit before version 2, see
// ../__fixtures__/v1-log/README.md) and the logs the tests write with this build.
/**
 * @param {{ core: any, testing: any, audit: any, z: any }} modules
 * @param {{ dir: string, keyDir: string }} where
 * @returns {Promise<{ verifierKey: string, requests: unknown[], taskIds: string[] }>}
 */
export async function writeSharedContextLog({ core, testing, audit: auditPkg, z }, { dir, keyDir }) {
  const audit = await auditPkg.createFileAuditSink({ dir, keyDir });
  const policy = testing.createInMemoryPolicy({
    rules: [
      { id: 'reads', effect: 'allow', tool: 'lookup_order' },
      {
        id: 'no-deletes',
        effect: 'deny',
        tool: 'delete_order',
        reason: 'orders are never deleted by agents',
      },
    ],
  });
  const writ = core.createWrit({
    service: 'support-desk',
    audit,
    identity: testing.createInMemoryIdentity({ requesters: { 'tok-alice': { id: 'alice@example.com' } } }),
    credentials: testing.createInMemoryCredentialBroker(),
    policy,
  });
  const lookup = writ.tool({
    name: 'lookup_order',
    input: z.object({ orderId: z.string() }),
    resource: ({ orderId }) => ({ type: 'Order', id: orderId }),
    risk: 'low',
    execute: async ({ orderId }) => ({ orderId, status: 'shipped' }),
  });
  const remove = writ.tool({
    name: 'delete_order',
    input: z.object({ orderId: z.string() }),
    resource: ({ orderId }) => ({ type: 'Order', id: orderId }),
    risk: 'high',
    execute: async () => 'deleted',
  });
  const taskIds = [];
  for (const intent of ['Where are orders 42 and 43?', 'Where is order 44?']) {
    await writ.task({ requester: 'tok-alice', agent: 'support-bot', intent, scope: ['*'] }, async () => {
      taskIds.push(core.getAttribution().taskId);
      await lookup.execute({ orderId: '42' });
      await lookup.execute({ orderId: '43' });
      await remove.execute({ orderId: '42' }).catch(() => undefined);
      await writ.delegate({ agent: 'billing-bot', scope: ['lookup_order'] }, async () => {
        await lookup.execute({ orderId: '45' });
        await lookup.execute({ orderId: '46' });
      });
    });
  }
  await writ.close();
  await audit.close();
  return { verifierKey: audit.verifierKey, requests: [...policy.requests], taskIds };
}
