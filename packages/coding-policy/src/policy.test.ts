import { readFileSync } from 'node:fs';
import type { AuthorizationRequest, Resource } from '@writ/core';
import { WritError } from '@writ/core';
import { defaultPolicyPaths } from '@writ/policy';
import { afterAll, describe, expect, it } from 'vitest';
import { codingAgentPolicy } from './policy.js';
import {
  CODING_POLICY_DEFAULTS,
  CODING_POLICY_FILES,
  codingPolicyPaths,
  codingPolicySources,
} from './policy-sources.js';
import { codingAgentResource } from './resource.js';

const workspace = '/home/dev/project';
const resourceOf = codingAgentResource({ workspace, home: '/home/dev' });
const signal = new AbortController().signal;

/** A request as the pipeline builds it (the parts the pack reads). */
function request(tool: string, resource: Resource): AuthorizationRequest {
  return {
    subject: {
      type: 'Agent',
      id: 'spiffe://writ.local/agent/coder',
      properties: {
        name: 'coder',
        assurance: 'verified',
        requester: null,
        chain: [
          { kind: 'agent', id: 'spiffe://writ.local/agent/coder', name: 'coder', assurance: 'verified' },
        ],
        chainDepth: 1,
        autonomous: true,
      },
    },
    action: {
      name: tool,
      properties: {
        risk: 'medium',
        toolType: 'extension',
        permission: tool,
        readOnly: false,
        destructive: true,
        idempotent: false,
        openWorld: true,
      },
    },
    resource,
    context: {
      taskId: 't',
      correlationId: 'c',
      scope: ['*'],
      inScope: true,
      risk: 'medium',
      environment: 'test',
      chainDepth: 1,
      autonomous: true,
      argsDigest: `sha256:${'0'.repeat(64)}`,
    },
  } as AuthorizationRequest;
}
const call = (tool: string, input: Record<string, unknown>) =>
  request(tool, resourceOf(tool, input) as Resource);

const policy = await codingAgentPolicy({ workspace, home: '/home/dev' });
afterAll(() => policy.close());

describe('codingAgentPolicy', () => {
  it('decides coding tools with the pack, and records the facts it judged in the evaluated context', async () => {
    const d = await policy.decide(call('Bash', { command: "r''m -rf ~" }), { signal });
    expect(d).toMatchObject({
      effect: 'deny',
      engine: 'coding-agent',
      policyIds: ['coding-files.cedar#no-writes-outside-workspace'],
    });
    expect(d.evaluatedContext?.context.coding).toMatchObject({
      kind: 'shell',
      programs: ['rm'],
      effects: ['delete-recursive'],
      writesOutsideWorkspace: true,
    });
    expect((await policy.decide(call('Bash', { command: 'npm test' }), { signal })).effect).toBe('allow');
    expect((await policy.decide(call('Bash', { command: 'git push --force' }), { signal })).effect).toBe(
      'approval_required',
    );
    expect((await policy.decide(call('Read', { file_path: '~/.ssh/id_rsa' }), { signal })).effect).toBe(
      'deny',
    );
    expect(
      (await policy.decide(call('Write', { file_path: 'src/a.ts', content: '' }), { signal })).effect,
    ).toBe('allow');
    expect((await policy.decide(call('Write', { content: '' }), { signal })).effect).toBe('deny'); // no path
  });

  it('sends other tools to the Writ default set (or denies them with otherTools: false)', async () => {
    const lookup = request('lookup_order', { type: 'Order', id: '42' });
    const readOnly = {
      ...lookup,
      action: { ...lookup.action, properties: { ...lookup.action.properties, readOnly: true } },
    };
    const d = await policy.decide(readOnly, { signal });
    expect(d.effect).toBe('allow');
    expect(d.policyIds).toContain('default.cedar#read-only-tools');
    expect(d.evaluatedContext?.context.coding).toBeUndefined();
    const strict = await codingAgentPolicy({ workspace, otherTools: false });
    expect((await strict.decide(readOnly, { signal })).effect).toBe('deny');
    strict.close();
  });

  it('allowedHosts replaces the WebFetch allowlist; an empty list denies every fetch', async () => {
    const fetch = (url: string) => call('WebFetch', { url, prompt: 'x' });
    const own = await codingAgentPolicy({ workspace, allowedHosts: ['docs.internal.example.com'] });
    expect((await own.decide(fetch('https://docs.internal.example.com/a'), { signal })).effect).toBe('allow');
    expect((await own.decide(fetch('https://nodejs.org/api'), { signal })).effect).toBe('deny');
    own.close();
    const none = await codingAgentPolicy({ workspace, allowedHosts: [] });
    expect(none.policyIds).not.toContain('coding-network.cedar#fetch-allowed-hosts');
    expect((await none.decide(fetch('https://nodejs.org/api'), { signal })).effect).toBe('deny');
    none.close();
  });

  it('trustedPrograms replaces the list of programs allowed inside the workspace', async () => {
    const own = await codingAgentPolicy({ workspace, trustedPrograms: ['ls', 'terraform'] });
    expect((await own.decide(call('Bash', { command: 'terraform plan' }), { signal })).effect).toBe('allow');
    expect((await own.decide(call('Bash', { command: 'npm test' }), { signal })).effect).toBe(
      'approval_required',
    );
    own.close();
  });

  it('refuses bad options, typed and naming the option', async () => {
    await expect(codingAgentPolicy({ workspace: 'relative' })).rejects.toThrow(/options\.workspace/);
    await expect(
      codingAgentPolicy({ workspace, allowedHosts: ['"); permit(principal,action,resource);//'] }),
    ).rejects.toThrow(WritError);
    await expect(codingAgentPolicy({ workspace, trustedPrograms: ['a"b'] })).rejects.toThrow(
      /trustedPrograms/,
    );
  });
});

describe('the shipped files', () => {
  it('codingPolicySources() with the defaults is exactly the shipped .cedar files', () => {
    const { dir } = codingPolicyPaths();
    const sources = codingPolicySources();
    for (const name of [CODING_POLICY_FILES.files, CODING_POLICY_FILES.shell, CODING_POLICY_FILES.network])
      expect(sources[name], name).toBe(readFileSync(`${dir}${name}`, 'utf8'));
    const shell = sources[CODING_POLICY_FILES.shell] as string;
    // the trusted list appears twice (allowed, and the complement asking approval): both rewritten
    const renamed = codingPolicySources({ trustedPrograms: ['only-this'] })[
      CODING_POLICY_FILES.shell
    ] as string;
    expect(renamed.match(/"only-this"/g)).toHaveLength(2);
    expect(renamed).not.toContain('"vitest"');
    expect(shell.match(/"vitest"/g)).toHaveLength(2);
    expect(CODING_POLICY_DEFAULTS.allowedHosts.length).toBeGreaterThan(0);
  });

  it('the schema is the Writ schema plus CodingFacts and the optional coding context entry', () => {
    const writ = readFileSync(defaultPolicyPaths().schema, 'utf8');
    const pack = readFileSync(codingPolicyPaths().schema, 'utf8');
    const stripped = pack
      .replace(/^(\/\/.*\n)+/, '') // the header
      .replace(/ {2}\/\/ What @writ\/coding-policy knows[\s\S]*?\n {2}};\n\n/, '')
      .replace(/ {6}coding\?: CodingFacts,.*\n/, '');
    expect(stripped).toBe(writ.replace(/^(\/\/.*\n)+/, ''));
  });
});
