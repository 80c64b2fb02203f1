// A real Cerbos PDP (npm `@cerbos/cerbos-linux-x64`) on loopback for the AuthZEN scenarios, started by the
// policy tests' launcher (packages/policy/src/authzen/__support__/cerbos.ts: generated config, HTTP
// (AuthZEN) on a free 127.0.0.1 port, gRPC on a unix socket, telemetry off) with one policy: agents may
// call `lookup_order` on orders.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuthorizationRequest } from '@writ/core';
import {
  startCerbos as startTestCerbos,
  cerbosBinary as testCerbosBinary,
} from '../../packages/policy/src/authzen/__support__/cerbos.ts';

const ORDER_POLICY = `apiVersion: api.cerbos.dev/v1
resourcePolicy:
  version: default
  resource: Order
  rules:
    - name: agents-look-up-orders
      actions: ["lookup_order"]
      effect: EFFECT_ALLOW
      roles: ["agent"]
`;

/** A running Cerbos. */
export interface Cerbos {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** How long it took to answer its health check, ms. */
  readonly startMs: number;
  close(): Promise<void>;
}

/** The Cerbos binary, or `undefined` when the platform package is not installed (the scenarios are skipped). */
export function cerbosBinary(): string | undefined {
  try {
    const binary = testCerbosBinary();
    return existsSync(binary) ? binary : undefined;
  } catch {
    return undefined;
  }
}

/** Starts Cerbos with the bench's order policy; rejects after `readyTimeoutMs`. */
export async function startCerbos(_binary: string, readyTimeoutMs: number): Promise<Cerbos> {
  const started = performance.now();
  const policies = await mkdtemp(join(tmpdir(), 'writ-bench-cerbos-policies-'));
  await writeFile(join(policies, 'order.yaml'), ORDER_POLICY);
  try {
    const pdp = await startTestCerbos({ policies, readyTimeoutMs });
    return {
      url: pdp.url,
      startMs: performance.now() - started,
      close: async () => {
        await pdp.close();
        await rm(policies, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(policies, { recursive: true, force: true });
    throw error;
  }
}

/** An AuthZEN request body, as Cerbos reads it. */
export interface CerbosAuthZenRequest {
  readonly subject: { type: string; id: string; properties: Record<string, unknown> };
  readonly action: { name: string; properties?: Record<string, unknown> };
  readonly resource: { type: string; id: string; properties: Record<string, unknown> };
  readonly context: Record<string, unknown>;
}

/**
 * What a Writ user writes to put Cerbos behind `createAuthZenEngine`: Cerbos takes principal roles from
 * `subject.properties['cerbos.roles']` and resource attributes from `resource.properties`.
 */
export function cerbosMapRequest(request: AuthorizationRequest): CerbosAuthZenRequest {
  return {
    subject: {
      type: request.subject.type,
      id: request.subject.id,
      properties: { ...request.subject.properties, 'cerbos.roles': [request.subject.type.toLowerCase()] },
    },
    action: { name: request.action.name, properties: { ...request.action.properties } },
    resource: {
      type: request.resource.type,
      id: request.resource.id,
      properties: {
        ...request.resource.properties,
        risk: request.context.risk,
        environment: request.context.environment,
        inScope: request.context.inScope,
      },
    },
    context: { ...request.context },
  };
}
