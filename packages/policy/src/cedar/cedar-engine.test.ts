import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AuthorizationRequest, createWrit, WritError } from '@writ/core';
import { createInMemoryApprovals, createInMemoryAuditSink, createInMemoryIdentity } from '@writ/core/testing';
import { cacheDecisions, createCedarEngine } from '@writ/policy';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';

const signal = new AbortController().signal;
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'writ-cedar-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function request(
  over: {
    tool?: string;
    risk?: 'low' | 'medium' | 'high';
    readOnly?: boolean;
    destructive?: boolean;
    inScope?: boolean;
    chainDepth?: number;
  } = {},
): AuthorizationRequest {
  const agent = {
    kind: 'agent' as const,
    id: 'spiffe://writ.test/agent/support',
    name: 'support',
    assurance: 'verified' as const,
  };
  const risk = over.risk ?? 'low';
  return {
    subject: {
      type: 'Agent',
      id: agent.id,
      properties: {
        name: 'support',
        assurance: 'verified',
        requester: { kind: 'human', id: 'alice', assurance: 'verified' },
        chain: [agent],
        chainDepth: over.chainDepth ?? 1,
        autonomous: false,
      },
    },
    action: {
      name: over.tool ?? 'lookup_order',
      properties: {
        risk,
        toolType: 'function',
        permission: over.tool ?? 'lookup_order',
        readOnly: over.readOnly ?? false,
        destructive: over.destructive ?? !(over.readOnly ?? false),
        idempotent: false,
        openWorld: true,
      },
    },
    resource: { type: 'Order', id: '42' },
    context: {
      taskId: 't',
      correlationId: 'c',
      scope: ['*'],
      inScope: over.inScope ?? true,
      risk,
      environment: 'test',
      chainDepth: over.chainDepth ?? 1,
      autonomous: false,
      argsDigest: 'sha256:00',
    },
  };
}

describe('Cedar engine: the shipped default policy set', () => {
  it('allows read-only tools, permits in-scope writes, asks approval for high risk, denies destructive drift', async () => {
    const engine = await createCedarEngine();
    expect(engine.policyIds).toEqual([
      'default.cedar#read-only-tools',
      'default.cedar#in-scope-writes',
      'default.cedar#high-risk-needs-approval',
      'default.cedar#destructive-out-of-scope',
    ]);
    const read = await engine.decide(request({ readOnly: true, inScope: false }), { signal });
    expect(read).toMatchObject({
      effect: 'allow',
      policyIds: ['default.cedar#read-only-tools'],
      engine: 'cedar',
    });
    const write = await engine.decide(request({ risk: 'medium' }), { signal });
    expect(write).toMatchObject({ effect: 'allow', policyIds: ['default.cedar#in-scope-writes'] });
    const refund = await engine.decide(request({ tool: 'refund_order', risk: 'high' }), { signal });
    expect(refund).toMatchObject({
      effect: 'approval_required',
      policyIds: ['default.cedar#high-risk-needs-approval'],
      reasons: ['high-risk tools need a human approval'],
    });
    const drift = await engine.decide(request({ tool: 'delete_customer', risk: 'low', inScope: false }), {
      signal,
    });
    expect(drift).toMatchObject({
      effect: 'deny',
      policyIds: ['default.cedar#destructive-out-of-scope'],
      reasons: ['destructive tools outside the task scope are denied'],
    });
    const nothing = await engine.decide(request({ risk: 'high', inScope: false, destructive: false }), {
      signal,
    });
    expect(nothing).toMatchObject({
      effect: 'deny',
      policyIds: [],
      reasons: ['no policy permits this call (Cedar denies by default)'],
    });
    expect(nothing.evaluatedContext).toEqual(request({ risk: 'high', inScope: false, destructive: false }));
  });

  it('decides real calls in the pipeline: decision, policy ids and context recorded', async () => {
    const audit = createInMemoryAuditSink();
    const writ = createWrit({
      policy: await createCedarEngine(),
      audit,
      identity: createInMemoryIdentity({ requesters: { tok: { id: 'alice' } } }),
      approvals: createInMemoryApprovals(),
    });
    const ran: string[] = [];
    const tool = (
      name: string,
      risk: 'low' | 'high',
      annotations: { readOnly?: boolean; destructive?: boolean },
      permission = name,
    ) =>
      writ.tool({
        name,
        risk,
        annotations,
        permission,
        input: z.object({}),
        execute: async () => ran.push(name),
      });
    const lookup = tool('lookup_order', 'low', { readOnly: true }, 'orders:read');
    const refund = tool('refund_order', 'high', {}, 'orders:refund');
    const purge = tool('purge_customer', 'low', { destructive: true }, 'customers:delete');
    await writ.task({ requester: 'tok', agent: 'support', scope: ['orders:*'] }, async () => {
      await lookup.execute({});
      await refund.execute({});
      await expect(purge.execute({})).rejects.toMatchObject({ code: 'WRIT_POLICY_DENIED' });
    });
    expect(ran).toEqual(['lookup_order', 'refund_order']);
    const decisions = audit
      .ofKind('decision')
      .map((d) => [d.call.name, d.decision.effect, d.decision.policyIds]);
    expect(decisions).toEqual([
      ['lookup_order', 'allow', ['default.cedar#in-scope-writes', 'default.cedar#read-only-tools']],
      ['refund_order', 'approval_required', ['default.cedar#high-risk-needs-approval']],
      ['purge_customer', 'deny', ['default.cedar#destructive-out-of-scope']],
    ]);
    expect(audit.ofKind('decision')[2]?.decision.evaluatedContext?.context.inScope).toBe(false);
    expect(audit.ofKind('decision')[2]?.scopeDrift).toEqual({
      permission: 'customers:delete',
      scope: ['orders:*'],
    });
    expect(audit.ofKind('decision')[0]?.scopeDrift).toBeUndefined();
  });

  it('escalates scope drift to approval when a policy says so, and records the drift', async () => {
    const audit = createInMemoryAuditSink();
    const approvals = createInMemoryApprovals();
    const policy = await createCedarEngine({
      sources: {
        'drift.cedar': `@id("in-scope") permit (principal, action == Writ::Action::"call_tool", resource) when { context.inScope };
@id("drift-needs-approval") @approval("required") @reason("outside the task scope: ask a human")
permit (principal, action == Writ::Action::"call_tool", resource) when { !context.inScope && !resource.destructive };`,
      },
    });
    const writ = createWrit({ policy, audit, approvals });
    const email = writ.tool({
      name: 'email_customer',
      permission: 'customers:contact',
      annotations: { destructive: false },
      input: z.object({}),
      execute: async () => 'sent',
    });
    await expect(writ.task({ agent: 'support', scope: ['orders:*'] }, () => email.execute({}))).resolves.toBe(
      'sent',
    );
    const [decision] = audit.ofKind('decision');
    expect(decision?.decision).toMatchObject({
      effect: 'approval_required',
      policyIds: ['drift.cedar#drift-needs-approval'],
    });
    expect(decision?.scopeDrift).toEqual({ permission: 'customers:contact', scope: ['orders:*'] });
    expect(approvals.requests).toHaveLength(1);
  });
});

describe('Cedar engine: your policies', () => {
  const schemaFree = { schema: false as const };

  it('denies when a policy errors at evaluation, recording the error (Cedar would skip it)', async () => {
    // overflow at runtime: validates fine, errors when evaluated
    const engine = await createCedarEngine({
      sources: {
        'p.cedar': `@id("allow-all") permit (principal, action, resource);
@id("overflow") forbid (principal, action, resource) when { context.chainDepth * 9223372036854775807 > 0 };`,
      },
    });
    const decision = await engine.decide(request({ chainDepth: 2 }), { signal });
    expect(decision.effect).toBe('deny');
    expect(decision.errors?.[0]).toMatch(/p\.cedar#overflow: .*overflow/i);
    // and without the erroring input, the same set allows
    expect((await engine.decide(request({ chainDepth: 0 }), { signal })).effect).toBe('allow');
  });

  it('a policy naming a target entity matches that resource only, even when types or ids contain "::"', async () => {
    const engine = await createCedarEngine({
      sources: {
        'p.cedar': `@id("allow-all") permit (principal, action, resource);
@id("freeze-line-7") forbid (principal, action, resource) when { context.target == Writ::Resource::"Order::Line::7" };`,
      },
    });
    const on = (type: string, id: string) =>
      engine.decide({ ...request(), resource: { type, id } }, { signal }).then((d) => d.effect);
    expect(await on('Order', 'Line::7')).toBe('deny');
    // was the same entity before resource types were encoded
    expect(await on('Order::Line', '7')).toBe('allow');
    expect(await on('Order:', ':Line::7')).toBe('allow');
    expect(await on('Order', 'Line::8')).toBe('allow');
  });

  it('refuses to load an unparsable file, naming file, line and column', async () => {
    const file = join(dir, 'broken.cedar');
    await writeFile(
      file,
      '@id("ok")\npermit (principal, action, resource);\n\npermit (principal, action, resource) when { 1 + };\n',
    );
    const error = await createCedarEngine({ policies: file, ...schemaFree }).catch((e: unknown) => e);
    expect(WritError.isInstance(error, 'WRIT_POLICY_INVALID')).toBe(true);
    expect((error as WritError).details).toMatchObject({ file, line: 4 });
    expect((error as WritError).message).toContain(`${file}:4:`);
  });

  it('refuses a load whose policies fail schema validation, even though Cedar reports success', async () => {
    const file = join(dir, 'typo.cedar');
    await writeFile(
      file,
      '\n\n@id("typo")\npermit (principal, action == Writ::Action::"call_tool", resource)\nwhen { resource.readonly };\n',
    );
    const error = await createCedarEngine({ policies: file }).catch((e: unknown) => e);
    expect(WritError.isInstance(error, 'WRIT_POLICY_INVALID')).toBe(true);
    expect((error as WritError).details).toMatchObject({ file, line: 5, policyId: 'typo.cedar#typo' });
    expect((error as WritError).message).toMatch(/readonly/);
  });

  it('refuses duplicate policy ids', async () => {
    await expect(
      createCedarEngine({
        sources: {
          'a.cedar':
            '@id("x") permit (principal, action, resource);\n@id("x") forbid (principal, action, resource);',
        },
        ...schemaFree,
      }),
    ).rejects.toMatchObject({ code: 'WRIT_POLICY_INVALID', details: { policyId: 'a.cedar#x', line: 2 } });
  });

  it('denies a request that does not fit the schema (validateRequest)', async () => {
    const engine = await createCedarEngine({ extendContext: () => ({ notInTheSchema: true }) });
    const decision = await engine.decide(request({ readOnly: true }), { signal });
    expect(decision.effect).toBe('deny');
    expect(decision.errors?.join(' ')).toMatch(/notInTheSchema/);
  });

  it('hot-reloads on file change with an atomic swap, and keeps the old set when the new file is bad', async () => {
    const file = join(dir, 'agents.cedar');
    await writeFile(file, '@id("nothing") forbid (principal, action, resource);\n');
    const events: { ok: boolean }[] = [];
    let notify: (() => void) | undefined;
    const next = () => new Promise<void>((resolve) => (notify = resolve));
    const engine = await createCedarEngine({
      policies: dir,
      watch: true,
      onReload: (event) => {
        events.push(event);
        notify?.();
      },
    });
    try {
      expect((await engine.decide(request({ readOnly: true }), { signal })).effect).toBe('deny');
      let reloaded = next();
      await writeFile(
        file,
        '@id("reads") permit (principal, action == Writ::Action::"call_tool", resource) when { resource.readOnly };\n',
      );
      await reloaded;
      expect(events.at(-1)).toMatchObject({ ok: true, policyIds: ['agents.cedar#reads'] });
      expect(await engine.decide(request({ readOnly: true }), { signal })).toMatchObject({
        effect: 'allow',
        policyIds: ['agents.cedar#reads'],
      });
      const generation = engine.generation;

      reloaded = next();
      await writeFile(file, 'permit (principal, action, resource) when { resource.nope };\n');
      await reloaded;
      expect(events.at(-1)?.ok).toBe(false);
      expect(engine.generation).toBe(generation);
      expect((await engine.decide(request({ readOnly: true }), { signal })).effect).toBe('allow');
    } finally {
      engine.close();
    }
  });

  it('validates its options', async () => {
    await expect(createCedarEngine({ policies: [] as never })).rejects.toMatchObject({
      code: 'WRIT_OPTIONS_INVALID',
    });
    await expect(createCedarEngine({ policies: 'a', sources: {} })).rejects.toMatchObject({
      code: 'WRIT_OPTIONS_INVALID',
    });
    await expect(createCedarEngine({ policies: join(dir, 'missing.cedar') })).rejects.toMatchObject({
      code: 'WRIT_POLICY_INVALID',
    });
  });
});

describe('Cedar engine: the policy-set version on every decision', () => {
  const DIGEST = /^sha256:[0-9a-f]{64}$/;
  const reads =
    '@id("reads") permit (principal, action == Writ::Action::"call_tool", resource) when { resource.readOnly };\n';
  const writes =
    '@id("writes") @approval("required") permit (principal, action == Writ::Action::"call_tool", resource) when { !resource.readOnly };\n';

  it('carries the digest of policies + schema on allow, deny and approval_required, independent of file order', async () => {
    const engine = await createCedarEngine({ sources: { 'a.cedar': reads, 'b.cedar': writes } });
    expect(engine.policySetDigest).toMatch(DIGEST);
    const allow = await engine.decide(request({ readOnly: true }), { signal });
    const approval = await engine.decide(request({ readOnly: false }), { signal });
    const deny = await engine.decide(
      request({ tool: 'x', readOnly: false, destructive: true, chainDepth: 9 }),
      { signal },
    );
    expect([allow.effect, approval.effect]).toEqual(['allow', 'approval_required']);
    for (const decision of [allow, approval, deny])
      expect(decision.policySetDigest).toBe(engine.policySetDigest);

    const reordered = await createCedarEngine({ sources: { 'b.cedar': writes, 'a.cedar': reads } });
    expect(reordered.policySetDigest).toBe(engine.policySetDigest);
    const fewer = await createCedarEngine({ sources: { 'a.cedar': reads } });
    expect(fewer.policySetDigest).not.toBe(engine.policySetDigest);
    const noSchema = await createCedarEngine({
      sources: { 'a.cedar': reads, 'b.cedar': writes },
      schema: false,
    });
    expect(noSchema.policySetDigest).not.toBe(engine.policySetDigest);
  });

  it('changes with a reload that changes the policies, and the decision cache does not serve the old set after it', async () => {
    const file = join(dir, 'agents.cedar');
    await writeFile(file, reads);
    const engine = await createCedarEngine({ policies: dir });
    let asked = 0;
    const counted = {
      name: engine.name,
      deterministic: true as const,
      get policySetDigest() {
        return engine.policySetDigest;
      },
      decide: (r: AuthorizationRequest, o: { signal: AbortSignal }) => {
        asked++;
        return engine.decide(r, o);
      },
    };
    const cached = cacheDecisions(counted, { ttlMs: 3_600_000 });
    const first = await cached.decide(request({ readOnly: true }), { signal });
    const hit = await cached.decide(request({ readOnly: true }), { signal });
    expect(asked).toBe(1);
    expect(hit.policySetDigest).toBe(first.policySetDigest);
    expect(first).toMatchObject({ effect: 'allow', policySetDigest: engine.policySetDigest });

    const before = engine.policySetDigest;
    await engine.reload(); // the same files: the same version
    expect(engine.policySetDigest).toBe(before);
    await writeFile(file, '@id("nothing") forbid (principal, action, resource);\n');
    await engine.reload();
    expect(engine.policySetDigest).not.toBe(before);
    const after = await cached.decide(request({ readOnly: true }), { signal }); // no clear() needed
    expect(asked).toBe(2);
    expect(after).toMatchObject({ effect: 'deny', policySetDigest: engine.policySetDigest });
  });
});
