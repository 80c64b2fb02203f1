import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyLog } from '@writ/audit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWrit, defineAgent, loadConfig, readConfigFile, readEnvConfig, WritError } from 'writ';
import { z } from 'zod';

let dir: string;
const saved = { ...process.env };
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'writ-zero-'));
});
afterEach(async () => {
  process.env = { ...saved };
  await rm(dir, { recursive: true, force: true });
});

describe('zero-config createWrit()', () => {
  it('works with no options: local authority, shipped Cedar policies, strict file log, verifiable afterwards', async () => {
    process.env.WRIT_DIR = dir; // where .writ/ would be; nothing else is configured
    const writ = createWrit();
    const { localIdentity, fileAudit, authority } = await writ.ready();
    expect(writ.config.dir).toBe(dir);
    expect(authority.trustDomain).toBe('writ.local');
    expect((await stat(join(dir, 'keys', 'authority.json'))).mode & 0o777).toBe(0o600);

    const lookup = writ.tool({
      name: 'lookup_order',
      permission: 'orders:read',
      annotations: { readOnly: true },
      risk: 'low',
      input: z.object({ id: z.string() }),
      execute: async ({ id }) => ({ id }),
    });
    const purge = writ.tool({
      name: 'purge_customer',
      permission: 'customers:delete',
      input: z.object({}),
      execute: async () => 'gone',
    });
    const alice = await localIdentity?.issueRequesterToken({ sub: 'alice@example.com' });
    await writ.task({ requester: alice, agent: 'support-bot', scope: ['orders:*'] }, async () => {
      await expect(lookup.execute({ id: '42' })).resolves.toEqual({ id: '42' });
      await expect(purge.execute({})).rejects.toMatchObject({ code: 'WRIT_POLICY_DENIED' });
    });
    await writ.close();
    const result = await verifyLog(join(dir, 'audit'), { verifierKey: fileAudit?.verifierKey, deep: true });
    expect(result).toMatchObject({ ok: true, keyPinned: true });
    // task-start, 2 × (decision + outcome), task-end (with the revocation), checkpoint
    expect(result.records).toBe(7);
  });

  it('puts agent registry owner and purpose into the records', async () => {
    const writ = createWrit({
      dir,
      agents: [
        defineAgent({ id: 'support-bot', owner: 'support-platform@example.com', purpose: 'Answer tickets' }),
      ],
    });
    const ping = writ.tool({
      name: 'ping',
      annotations: { readOnly: true },
      input: z.object({}),
      execute: async () => 'pong',
    });
    await writ.task({ agent: 'support-bot' }, () => ping.execute({}));
    await writ.close();
    const { readLines } = await import('@writ/audit');
    for await (const line of readLines(join(dir, 'audit'))) {
      const r = JSON.parse(line.bytes.toString()).r;
      if (r.kind !== 'checkpoint')
        expect(r.chain[0]).toMatchObject({
          owner: 'support-platform@example.com',
          purpose: 'Answer tickets',
        });
    }
  });

  it('takes settings from options, then writ.config.json, then WRIT_* variables, naming bad keys', async () => {
    await writeFile(
      join(dir, 'writ.config.json'),
      JSON.stringify({ service: 'from-file', durability: 'batched' }),
    );
    expect(readConfigFile(dir, {})).toEqual({ service: 'from-file', durability: 'batched' });
    expect(
      readEnvConfig({
        WRIT_DURABILITY: 'async',
        WRIT_REQUIRE_TASK: 'true',
        WRIT_POLICY_PATH: 'a.cedar,b.cedar',
      }),
    ).toEqual({
      durability: 'async',
      requireTask: true,
      policy: { policies: ['a.cedar', 'b.cedar'] },
    });
    expect(() => readEnvConfig({ WRIT_DURABILITY: 'sometimes' })).toThrow(/WRIT_DURABILITY/);
    await writeFile(join(dir, 'bad.json'), JSON.stringify({ polcy: {} }));
    expect(() => readConfigFile(dir, { WRIT_CONFIG: join(dir, 'bad.json') })).toThrow(
      /unknown key\(s\) "polcy"/,
    );
    expect(() => createWrit({ dir, colour: 'blue' } as never)).toThrow(
      expect.objectContaining({ code: 'WRIT_OPTIONS_INVALID', message: expect.stringContaining('"colour"') }),
    );
    await writeFile(
      join(dir, 'writ.config.ts'),
      "export default { service: 'from-ts', audit: { checkpointEvery: 50 } } as const;\n",
    );
    expect(await loadConfig(dir, { WRIT_SERVICE: 'from-env' })).toEqual({
      service: 'from-env',
      audit: { checkpointEvery: 50 },
    });
  });

  it('accepts core options such as a tracer beside the settings', async () => {
    const { trace } = await import('@opentelemetry/api');
    const writ = createWrit({ dir, telemetry: { tracer: trace.getTracer('mine'), recordEndUser: false } });
    expect(writ.config.telemetry).toEqual({ recordEndUser: false });
    await writ.close();
  });

  it('lets any component be replaced and refuses with WritError when an embedded one cannot start', async () => {
    await writeFile(join(dir, 'broken.cedar'), 'permit (principal, action, resource) when { 1 + };');
    const writ = createWrit({ dir, policy: { policies: join(dir, 'broken.cedar') } });
    const error = await writ.ready().catch((e: unknown) => e);
    expect(WritError.isInstance(error, 'WRIT_POLICY_INVALID')).toBe(true);
  });

  it("starts the keys and Cedar together, and refuses with the keys' error first when both fail, as one after the other did", async () => {
    await writeFile(join(dir, 'broken.cedar'), 'permit (principal, action, resource) when { 1 + };');
    const both = createWrit({
      dir,
      keys: { create: false },
      policy: { policies: join(dir, 'broken.cedar') },
    });
    const error = await both.ready().catch((e: unknown) => e);
    expect(WritError.isInstance(error, 'WRIT_IDENTITY_UNAVAILABLE')).toBe(true);
    // the keys provisioned, the policy still broken: now the policy's error, and the runtime can retry
    const provisioner = createWrit({ dir });
    await provisioner.ready();
    await provisioner.close();
    const policyOnly = await both.ready().catch((e: unknown) => e);
    expect(WritError.isInstance(policyOnly, 'WRIT_POLICY_INVALID')).toBe(true);
  });

  it('can be told not to create keys (replicas of a fleet): with none provisioned it refuses to start, typed; with them it runs', async () => {
    process.env.WRIT_DIR = dir;
    process.env.WRIT_CREATE_KEYS = 'false';
    const refused = await createWrit()
      .ready()
      .catch((e: unknown) => e);
    expect(WritError.isInstance(refused, 'WRIT_IDENTITY_UNAVAILABLE')).toBe(true);
    expect((refused as WritError).details).toMatchObject({ reason: 'authority_key_missing' });
    await expect(stat(join(dir, 'keys'))).rejects.toMatchObject({ code: 'ENOENT' }); // nothing made up
    // the authority's key provisioned, but not the log's: the audit log refuses too
    process.env.WRIT_CREATE_KEYS = 'true';
    const provisioner = createWrit({ audit: { dir: join(dir, 'elsewhere') } });
    await provisioner.ready();
    await provisioner.close();
    process.env.WRIT_CREATE_KEYS = 'false';
    const noLogKey = await createWrit({ audit: { dir: join(dir, 'audit-new') } })
      .ready()
      .catch((e: unknown) => e);
    expect(WritError.isInstance(noLogKey, 'WRIT_AUDIT_UNAVAILABLE')).toBe(true);
    expect((noLogKey as WritError).details).toMatchObject({ reason: 'key_missing' });
    // every key provisioned: it runs, and still creates nothing
    const writ = createWrit({ audit: { dir: join(dir, 'elsewhere') } });
    const { authority } = await writ.ready();
    expect(authority.kid).toEqual(expect.any(String));
    expect(writ.config.keys).toEqual({ create: false });
    await writ.close();
    expect(() => readEnvConfig({ WRIT_CREATE_KEYS: 'nope' })).toThrow(/WRIT_CREATE_KEYS/);
  });
});
