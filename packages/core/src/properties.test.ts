import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { z } from 'zod';
import { createWrit, WritError } from './index.js';
import { isScopeSubset, narrowScope, scopeCovers } from './plugin.js';
import {
  createInMemoryApprovals,
  createInMemoryAuditSink,
  createInMemoryCredentialBroker,
  createInMemoryPolicy,
  type PolicyRule,
} from './testing/index.js';

const effect = fc.constantFrom('allow' as const, 'deny' as const, 'approval_required' as const);
const risk = fc.constantFrom('low' as const, 'medium' as const, 'high' as const);
const toolName = fc.constantFrom('read', 'write', 'erase');
const rule = fc.record(
  {
    effect,
    tool: fc.option(toolName, { nil: undefined }),
    risk: fc.option(fc.array(risk, { minLength: 1 }), { nil: undefined }),
  },
  { requiredKeys: ['effect'] },
);

describe('deny never executes (property)', () => {
  test.prop([fc.array(rule, { maxLength: 6 }), toolName, risk, fc.boolean(), fc.jsonValue()], {
    numRuns: 150,
  })(
    'a tool runs only when policy allows (or approval_required and approved), and every call is recorded',
    async (rules, name, toolRisk, approve, payload) => {
      const audit = createInMemoryAuditSink();
      const policy = createInMemoryPolicy({ rules: rules as PolicyRule[] });
      const writ = createWrit({
        policy,
        audit,
        approvals: createInMemoryApprovals({ approve: () => approve }),
      });
      let runs = 0;
      const tool = writ.tool({
        name,
        risk: toolRisk,
        input: z.object({ payload: z.unknown() }),
        execute: async () => ++runs,
      });
      const result = await writ
        .task({ agent: 'prop' }, () => tool.execute({ payload }))
        .then(
          () => 'ran',
          (e: unknown) => (WritError.isInstance(e) ? e.code : 'other'),
        );

      const [decision] = audit.ofKind('decision');
      const [outcome] = audit.ofKind('outcome');
      expect(decision).toBeDefined();
      expect(outcome).toBeDefined();
      const allowed =
        decision?.decision.effect === 'allow' ||
        (decision?.decision.effect === 'approval_required' && approve);
      expect(runs).toBe(allowed ? 1 : 0);
      expect(result).toBe(allowed ? 'ran' : decision?.refusal?.code);
      expect(outcome?.outcome.status).toBe(allowed ? 'ok' : 'refused');
      if (
        rules.some(
          (r) =>
            r.effect === 'deny' &&
            (r.tool === undefined || r.tool === name) &&
            (r.risk === undefined || r.risk.includes(toolRisk)),
        )
      ) {
        expect(runs).toBe(0);
        expect(result).toBe('WRIT_POLICY_DENIED');
      }
    },
  );
});

const segment = fc.constantFrom('orders', 'refunds', 'customers', 'read', 'write', 'x');
const scopeItem = fc.oneof(
  fc.constant('*'),
  fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => s.join(':')),
  fc.array(segment, { minLength: 1, maxLength: 2 }).map((s) => `${s.join(':')}:*`),
);
const scope = fc.uniqueArray(scopeItem, { maxLength: 5 });

describe('scope only narrows (property)', () => {
  test.prop([scope, scope])(
    'narrowScope returns a subset of the parent or throws WRIT_SCOPE_EXCEEDED',
    (parent, requested) => {
      let narrowed: readonly string[] | undefined;
      try {
        narrowed = narrowScope(parent, requested);
      } catch (error) {
        expect(WritError.isInstance(error, 'WRIT_SCOPE_EXCEEDED')).toBe(true);
        expect(isScopeSubset(requested, parent)).toBe(false);
        return;
      }
      expect(isScopeSubset(narrowed, parent)).toBe(true);
      // anything the narrowed scope allows, the parent allows
      for (const item of narrowed) expect(scopeCovers(parent, item)).toBe(true);
    },
  );

  test.prop([scope, fc.array(scope, { minLength: 1, maxLength: 4 })], { numRuns: 60 })(
    'a delegation chain never holds more than any ancestor: wider requests are refused before anything runs, and audited',
    async (root, requests) => {
      const audit = createInMemoryAuditSink();
      const credentials = createInMemoryCredentialBroker();
      const writ = createWrit({ audit, credentials, policy: createInMemoryPolicy({ fallback: 'allow' }) });
      const ancestors: (readonly string[])[] = [root];
      let ranDeepest = false;
      const descend = async (depth: number): Promise<void> => {
        if (depth === requests.length) {
          ranDeepest = true;
          return;
        }
        const requested = requests[depth] as string[];
        const parent = ancestors[ancestors.length - 1] as readonly string[];
        const widening = !isScopeSubset(requested, parent);
        const error = await writ
          .delegate({ agent: `sub${depth}`, scope: requested }, async (task) => {
            expect(widening).toBe(false);
            for (const ancestor of ancestors)
              expect(isScopeSubset(task.attribution.scope, ancestor)).toBe(true);
            expect(task.credential?.scope).toEqual(task.attribution.scope);
            ancestors.push(task.attribution.scope);
            await descend(depth + 1);
          })
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        if (widening) {
          expect(WritError.isInstance(error, 'WRIT_SCOPE_EXCEEDED')).toBe(true);
          const refused = audit.ofKind('task-start').filter((e) => e.status === 'refused');
          expect(refused.at(-1)?.refusal?.code).toBe('WRIT_SCOPE_EXCEEDED');
          expect(refused.at(-1)?.chain.at(-1)?.id).toBe(`sub${depth}`);
        } else if (error !== undefined) {
          throw error;
        }
      };
      await writ.task({ agent: 'root', scope: root }, () => descend(0));
      // the innermost function runs exactly when every step narrowed its parent's scope
      const everyStepNarrows = requests.every((r, i) =>
        isScopeSubset(r, i === 0 ? root : (requests[i - 1] as string[])),
      );
      expect(ranDeepest).toBe(everyStepNarrows);
    },
  );
});
