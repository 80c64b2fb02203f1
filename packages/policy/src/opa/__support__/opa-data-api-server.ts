// Test support: a loopback HTTP server speaking OPA's Data API (POST /v1/data/{path} with { input }).
// There is no OPA binary here, so a few Rego policies are written out in JavaScript below.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the server does with the next requests. */
export type OpaServerBehaviour =
  /** Evaluate the policy at the requested path (the default). */
  | { readonly kind: 'evaluate' }
  /** Answer an error the way OPA does: `{ code, message }`. */
  | { readonly kind: 'fail'; readonly status?: number; readonly code?: string; readonly message?: string }
  /** Accept the request and never answer. */
  | { readonly kind: 'hang' }
  /** Answer these bytes with this status. */
  | { readonly kind: 'raw'; readonly status?: number; readonly body: string; readonly contentType?: string };

/** One request the server received. */
export interface RecordedRequest {
  readonly method: string;
  /** Decoded document path after `/v1/data/`. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  /** Parsed JSON body (`undefined` when it was not JSON). */
  readonly body: unknown;
}

export interface OpaTestServer {
  /** Base URL (`http://127.0.0.1:<port>`). */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Every `decision_id` the server issued, in order. */
  readonly decisionIds: string[];
  setBehaviour(behaviour: OpaServerBehaviour): void;
  /** Resolves when the next request has been received (its body read). */
  nextRequest(): Promise<RecordedRequest>;
  close(): Promise<void>;
}

export interface StartOpaServerOptions {
  /** Whether decision logging is on (answers carry `decision_id`). @default true */
  decisionLogging?: boolean;
}

/** The provenance the server reports (shape of OPA's `provenance` object). */
export const PROVENANCE = Object.freeze({
  version: '1.4.2-test',
  build_commit: 'c0ffee0',
  build_timestamp: '2025-05-01T00:00:00Z',
  build_hostname: 'ci',
  bundles: { writ: { revision: 'rev-7' } },
});

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const get = (value: unknown, ...keys: string[]): unknown =>
  keys.reduce<unknown>((v, k) => (isRecord(v) ? v[k] : undefined), value);

/**
 * The "policies", as the Rego they stand for. A function returning `undefined` means the document is
 * undefined (no rule produced a value and there is no default).
 */
const POLICIES: Readonly<Record<string, (input: unknown) => unknown>> = {
  // package writ.authz
  // default allow := false
  // allow if input.action.properties.risk == "low"
  'writ/authz/allow': (input) => get(input, 'action', 'properties', 'risk') === 'low',

  // package writ.authz (queried whole: every rule of the package, helpers included)
  // default allow := false
  // low_risk if input.action.properties.risk == "low"
  // allow if low_risk
  // allow if { input.action.properties.risk == "high"; input.context.inScope }
  // approval_required if input.action.properties.risk == "high"
  // reasons contains "high-risk tools need a human approval" if approval_required
  // reasons contains sprintf("%s is not allowed", [input.action.name]) if not allow
  // policy_ids contains "writ.authz.low_risk" if low_risk
  // policy_ids contains "writ.authz.high_risk" if approval_required
  // obligations contains {"id": "notify", "attributes": {"channel": "#payments"}} if approval_required
  'writ/authz': (input) => {
    const risk = get(input, 'action', 'properties', 'risk');
    const lowRisk = risk === 'low';
    const approvalRequired = risk === 'high';
    const allow = lowRisk || (risk === 'high' && get(input, 'context', 'inScope') === true);
    const doc: Json = { allow, low_risk: lowRisk, reasons: [], policy_ids: [], obligations: [] };
    if (approvalRequired) {
      doc.approval_required = true;
      (doc.reasons as string[]).push('high-risk tools need a human approval');
      (doc.policy_ids as string[]).push('writ.authz.high_risk');
      (doc.obligations as Json[]).push({ id: 'notify', attributes: { channel: '#payments' } });
    }
    if (lowRisk) (doc.policy_ids as string[]).push('writ.authz.low_risk');
    if (!allow) (doc.reasons as string[]).push(`${String(get(input, 'action', 'name'))} is not allowed`);
    return doc;
  },

  // package writ.custom — judges the input a mapInput builds: { tool, agent }
  // allow if input.tool == "lookup_order"
  'writ/custom/allow': (input) => get(input, 'tool') === 'lookup_order',

  // package writ.misconfigured — a rule answering a number, not a decision
  // answer := 42
  'writ/misconfigured/answer': () => 42,

  // package writ.nodefault — no default, so the document is undefined unless a rule matches
  // allow if input.action.name == "never"
  'writ/nodefault/allow': (input) => (get(input, 'action', 'name') === 'never' ? true : undefined),
};

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Starts the server on an ephemeral loopback port. Evaluation follows the Data API: 200 with `result`
 * (absent when the document is undefined), `decision_id` when decision logging is on, `provenance` with
 * `?provenance=true`, `metrics` with `?metrics=true`, 400 `invalid_parameter` for a malformed body.
 */
export async function startOpaServer(options: StartOpaServerOptions = {}): Promise<OpaTestServer> {
  const decisionLogging = options.decisionLogging ?? true;
  const requests: RecordedRequest[] = [];
  const decisionIds: string[] = [];
  const waiters: ((request: RecordedRequest) => void)[] = [];
  let behaviour: OpaServerBehaviour = { kind: 'evaluate' };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = text.length === 0 ? undefined : JSON.parse(text);
      } catch {
        body = undefined;
      }
      const prefix = '/v1/data/';
      const path = url.pathname.startsWith(prefix)
        ? url.pathname.slice(prefix.length).split('/').map(decodeURIComponent).join('/')
        : '';
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        path,
        query: url.searchParams,
        headers: req.headers,
        body,
      };
      requests.push(recorded);
      for (const wake of waiters.splice(0)) wake(recorded);

      switch (behaviour.kind) {
        case 'hang':
          return;
        case 'fail':
          return send(res, behaviour.status ?? 500, {
            code: behaviour.code ?? 'internal_error',
            message: behaviour.message ?? 'storage: transaction aborted',
          });
        case 'raw':
          res.writeHead(behaviour.status ?? 200, { 'content-type': behaviour.contentType ?? 'text/html' });
          res.end(behaviour.body);
          return;
        case 'evaluate':
          break;
      }
      if (req.method !== 'POST' || !url.pathname.startsWith(prefix)) {
        return send(res, 404, { code: 'resource_not_found', message: `${url.pathname} not found` });
      }
      if (text.length > 0 && body === undefined) {
        return send(res, 400, {
          code: 'invalid_parameter',
          message: 'body contains malformed input document',
        });
      }
      const answer: Json = {};
      const hasInput = isRecord(body) && Object.hasOwn(body, 'input');
      if (!hasInput)
        answer.warning = { code: 'api_usage_warning', message: "'input' key missing from the request" };
      const policy = POLICIES[path];
      const result = policy === undefined ? undefined : policy(isRecord(body) ? body.input : undefined);
      if (result !== undefined) answer.result = result;
      if (decisionLogging) {
        const id = randomUUID();
        decisionIds.push(id);
        answer.decision_id = id;
      }
      if (url.searchParams.get('provenance') === 'true') answer.provenance = PROVENANCE;
      if (url.searchParams.get('metrics') === 'true') answer.metrics = { timer_rego_query_eval_ns: 1200 };
      send(res, 200, answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    decisionIds,
    setBehaviour(next) {
      behaviour = next;
    },
    nextRequest() {
      return new Promise((resolve) => waiters.push(resolve));
    },
    close() {
      return new Promise((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
