import type { FileAuditSink } from '@writ/audit';
import type { LocalAuthority } from '@writ/identity';

/**
 * What a Writ instance lets others check, and nothing else: the public keys of its local authority
 * (for services that verify the task tokens and credentials it issues) and the verifier key of its log
 * (for `writ verify --key`). Serve or export it from the running process; no private key leaves it.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 *
 * const keys: WritPublicKeys = await writ.publicKeys();
 * // what downstream services fetch with createRemoteJWKSet(new URL('http://127.0.0.1:4000/.well-known/jwks.json'))
 * createServer((req, res) => {
 *   if (req.url !== '/.well-known/jwks.json') return void res.writeHead(404).end();
 *   res.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(JSON.stringify(keys.jwks));
 * }).listen(4000, '127.0.0.1');
 * ```
 */
export interface WritPublicKeys {
  /** `iss` of what the local authority signs (`spiffe://<trust-domain>`). */
  readonly issuer: string;
  readonly trustDomain: string;
  /** The authority's public keys, current first (no private members). */
  readonly jwks: ReturnType<LocalAuthority['jwks']>;
  /** C2SP verifier key of the log's checkpoints, when the embedded file log is in use. */
  readonly verifierKey: string | undefined;
  /** Origin line of the log's checkpoints, when the embedded file log is in use. */
  readonly logOrigin: string | undefined;
}

/** The public material of an authority and a file log. @internal */
export function publicKeysOf(
  authority: LocalAuthority,
  fileAudit: FileAuditSink | undefined,
): WritPublicKeys {
  return Object.freeze({
    issuer: authority.issuer,
    trustDomain: authority.trustDomain,
    jwks: authority.jwks(), // built from kty/crv/x/kid only: never a private member
    verifierKey: fileAudit?.verifierKey,
    logOrigin: fileAudit?.origin,
  });
}
