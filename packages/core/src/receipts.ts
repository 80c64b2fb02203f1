// Receipts both ways: a callee returns its decision receipt (and its refusal code) with the result; the
// caller records what it received in the call's outcome. One home for the wire forms (MCP `_meta` keys,
// HTTP headers), reading them from an untrusted callee, and handing them to the running tool call.
import type { Context } from '@opentelemetry/api';
import { activeContext } from './context.js';
import { WritError } from './errors.js';
import type { AuditReceipt } from './interfaces.js';
import { remoteCallsOf } from './pipeline/remote-calls.js';
import type { RemoteCallRecord } from './remote-call-record.js';

/**
 * `_meta` key of an MCP tool result carrying the callee's decision receipt `{ log, index, leafHash }`
 * (the origin of the callee's log, the index and leaf hash of its decision record for the call).
 *
 * @example
 * ```ts
 * const result = await client.callTool({ name: 'lookup_order', arguments: { orderId: '42' } });
 * const receipt = result._meta?.[RECEIPT_META_KEY] as AuditReceipt | undefined;
 * ```
 */
export const RECEIPT_META_KEY = 'io.writ/receipt';

/**
 * HTTP response header carrying the callee's decision receipt, an RFC 8941 dictionary:
 * `log="<origin>", index=<n>, leaf-hash="<hex>"`.
 *
 * @example
 * ```ts
 * const receipt = parseReceiptHeader(response.headers.get(RECEIPT_HEADER));
 * ```
 */
export const RECEIPT_HEADER = 'writ-receipt';

/**
 * HTTP response header carrying a callee's refusal code, an RFC 8941 dictionary: `code="WRIT_POLICY_DENIED"`.
 *
 * @example
 * ```ts
 * const refused = response.headers.get(REFUSAL_HEADER); // 'code="WRIT_POLICY_DENIED"'
 * ```
 */
export const REFUSAL_HEADER = 'writ-refusal';

const LOG_PATTERN = /^[\x20-\x7e]{1,512}$/;
const LEAF_PATTERN = /^[0-9a-f]{64}$/;
const CODE_PATTERN = /^[A-Z][A-Z0-9_]{0,63}$/;
const MESSAGE_LIMIT = 1000;

/** An RFC 8941 sf-string (printable ASCII; `"` and `\` escaped). */
function sfString(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * The `Writ-Receipt` header value of a receipt (RFC 8941 dictionary).
 *
 * @example
 * ```ts
 * formatReceiptHeader({ log: 'orders.example/audit/1', index: 7, leafHash: 'ab…' });
 * // 'log="orders.example/audit/1", index=7, leaf-hash="ab…"'
 * ```
 */
export function formatReceiptHeader(receipt: AuditReceipt): string {
  const checked = checkReceipt(receipt);
  if (typeof checked === 'string') throw new WritError('WRIT_INPUT_INVALID', `receipt: ${checked}`);
  return `log=${sfString(checked.log)}, index=${checked.index}, leaf-hash=${sfString(checked.leafHash)}`;
}

/**
 * Reads a `Writ-Receipt` header value: the receipt, or why it is not one (a string).
 *
 * @example
 * ```ts
 * const read = parseReceiptHeader(response.headers.get(RECEIPT_HEADER) ?? '');
 * if (typeof read !== 'string') console.log(read.log, read.index, read.leafHash);
 * ```
 */
export function parseReceiptHeader(value: string): AuditReceipt | string {
  const members = parseDictionary(value);
  if (typeof members === 'string') return members;
  return checkReceipt({
    log: members.get('log'),
    index: members.get('index'),
    leafHash: members.get('leaf-hash'),
  });
}

/**
 * The response headers an HTTP callee sends with its answer: `Writ-Receipt` for the decision record of
 * the call (from `execute(args, { onReceipt })`), `Writ-Refusal` with the code when Writ refused it.
 * `createWritFetch` reads them and records them in the caller's outcome.
 *
 * @example
 * ```ts
 * let receipt: AuditReceipt | undefined;
 * try {
 *   const body = await refund.execute(args, { onReceipt: (r) => { receipt = r; } });
 *   res.writeHead(200, calleeHeaders({ receipt })).end(JSON.stringify(body));
 * } catch (error) {
 *   if (!WritError.isInstance(error)) throw error;
 *   res.writeHead(403, calleeHeaders({ receipt, refusal: error })).end(error.message);
 * }
 * ```
 */
export function calleeHeaders(answer: {
  readonly receipt?: AuditReceipt | undefined;
  readonly refusal?: WritError | undefined;
}): Record<string, string> {
  const headers: Record<string, string> = {};
  if (answer.receipt !== undefined) headers[RECEIPT_HEADER] = formatReceiptHeader(answer.receipt);
  if (answer.refusal !== undefined) headers[REFUSAL_HEADER] = `code=${sfString(answer.refusal.code)}`;
  return headers;
}

/**
 * Reads a `Writ-Refusal` header value: the code, or why it is not one (a string).
 *
 * @example
 * ```ts
 * const refused = parseRefusalHeader(response.headers.get(REFUSAL_HEADER) ?? '');
 * if (typeof refused !== 'string') console.log(`the callee refused: ${refused.code}`);
 * ```
 */
export function parseRefusalHeader(value: string): { code: string } | string {
  const members = parseDictionary(value);
  if (typeof members === 'string') return members;
  const code = members.get('code');
  return typeof code === 'string' && CODE_PATTERN.test(code)
    ? { code }
    : 'code is not a refusal code (A-Z, 0-9, _)';
}

/**
 * What a caller's client received from a callee about one call, handed to {@link recordRemoteCall}.
 * `receipt` and `refusal` are what came over the wire, checked before they are recorded.
 *
 * @example
 * ```ts
 * const report: RemoteCallReport = { via: 'mcp', by: 'https://orders.example/mcp', tool: 'lookup_order', receipt: result._meta?.[RECEIPT_META_KEY] };
 * ```
 */
export interface RemoteCallReport {
  readonly via: 'mcp' | 'http';
  /** Who answered: the audience the call was made for, or the URL's origin. */
  readonly by: string;
  readonly tool?: string | undefined;
  /** The receipt as received (`{ log, index, leafHash }`), or why it could not be read. */
  readonly receipt?: unknown;
  /** The refusal as received (`{ code, message? }`). */
  readonly refusal?: unknown;
}

/**
 * Records what a callee returned about one call (its receipt, its refusal) in the outcome record of the
 * Writ tool call running in `context` (`outcome.remote`). Anything that is not a well-formed receipt or
 * refusal is kept as `problem`, never dropped and never used. Returns what will be recorded, or
 * `undefined` outside a Writ tool call (nothing to record it in). `instrumentClient` and
 * `createWritFetch` call it; a client of another protocol does the same.
 *
 * @example
 * ```ts
 * const response = await grpcOrders.lookup({ orderId: '42' });
 * recordRemoteCall({ via: 'http', by: 'https://orders.internal', tool: 'lookup', receipt: response.writReceipt });
 * ```
 */
export function recordRemoteCall(
  report: RemoteCallReport,
  context: Context = activeContext(),
): RemoteCallRecord | undefined {
  const calls = remoteCallsOf(context);
  if (calls === undefined) return undefined;
  const problems: string[] = [];
  const record: { -readonly [K in keyof RemoteCallRecord]: RemoteCallRecord[K] } = {
    by: String(report.by).slice(0, 512),
    via: report.via,
  };
  if (report.receipt !== undefined) {
    const receipt = typeof report.receipt === 'string' ? report.receipt : checkReceipt(report.receipt);
    if (typeof receipt === 'string') problems.push(`receipt: ${receipt}`);
    else record.receipt = { index: receipt.index, leafHash: receipt.leafHash, log: receipt.log };
  }
  if (report.refusal !== undefined) {
    const refusal = checkRefusal(report.refusal);
    if (typeof refusal === 'string') problems.push(`refusal: ${refusal}`);
    else record.refusal = refusal;
  }
  if (problems.length > 0) record.problem = problems.join('; ');
  if (report.tool !== undefined) record.tool = String(report.tool).slice(0, 256);
  const sorted = Object.fromEntries(
    Object.entries(record).sort(([a], [b]) => (a < b ? -1 : 1)),
  ) as unknown as RemoteCallRecord;
  if (!calls.push(sorted)) return undefined;
  return sorted;
}

/** A receipt as received: well-formed, or why not. */
function checkReceipt(value: unknown): AuditReceipt | string {
  if (typeof value !== 'object' || value === null) return 'not an object';
  const { log, index, leafHash } = value as Record<string, unknown>;
  if (typeof log !== 'string' || !LOG_PATTERN.test(log)) return 'log is not a log origin';
  if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0)
    return 'index is not a record index';
  if (typeof leafHash !== 'string' || !LEAF_PATTERN.test(leafHash))
    return 'leafHash is not a SHA-256 hash (64 hex digits)';
  return { log, index, leafHash };
}

/** A refusal as received: well-formed, or why not. */
function checkRefusal(value: unknown): { code: string; message?: string } | string {
  if (typeof value !== 'object' || value === null) return 'not an object';
  const { code, message } = value as Record<string, unknown>;
  if (typeof code !== 'string' || !CODE_PATTERN.test(code)) return 'code is not a refusal code (A-Z, 0-9, _)';
  return typeof message === 'string' && message.length > 0
    ? { code, message: message.slice(0, MESSAGE_LIMIT) }
    : { code };
}

/**
 * The members of an RFC 8941 dictionary whose values are sf-strings or sf-integers (parameters and
 * other item types refused), or why the value is not one.
 */
function parseDictionary(value: string): Map<string, string | number> | string {
  const members = new Map<string, string | number>();
  const input = value.trim();
  let at = 0;
  while (at < input.length) {
    const key = /^[a-z*][a-z0-9_\-.*]*/.exec(input.slice(at))?.[0];
    if (key === undefined) return 'not a structured-field dictionary';
    at += key.length;
    if (input[at] !== '=') return `member ${key} has no value`;
    at++;
    if (input[at] === '"') {
      let text = '';
      at++;
      for (;;) {
        const c = input[at];
        if (c === undefined) return 'unterminated string';
        at++;
        if (c === '"') break;
        if (c === '\\') {
          const next = input[at];
          if (next !== '"' && next !== '\\') return 'bad escape in string';
          text += next;
          at++;
        } else if (c < ' ' || c > '~') return 'string holds a character outside printable ASCII';
        else text += c;
      }
      members.set(key, text);
    } else {
      const digits = /^-?[0-9]{1,15}/.exec(input.slice(at))?.[0];
      if (digits === undefined) return `member ${key} is neither a string nor an integer`;
      at += digits.length;
      members.set(key, Number(digits));
    }
    const rest = /^[ \t]*(,[ \t]*)?/.exec(input.slice(at))?.[0] ?? '';
    if (at + rest.length < input.length && !rest.includes(',')) return 'members are not comma-separated';
    at += rest.length;
  }
  return members;
}
