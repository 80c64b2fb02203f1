import { randomUUID } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
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

/** File names of the published public material (see {@link publishPublicKeys}). */
export const PUBLIC_FILES = Object.freeze({ jwks: 'jwks.json', verifierKey: 'log.verifier-key' });

/**
 * Writes the public material into `dir` (created 0755): `jwks.json` (the authority's public JWKS) and,
 * with a file log, `log.verifier-key`; files 0644, each replaced atomically and only when it changed. Nothing
 * private is written: the JWKS is built from public members only. The zero-config runtime calls it on start.
 *
 * @example
 * ```ts
 * await publishPublicKeys('.writ/public', await writ.publicKeys());
 * // then: writ keys export-jwks --public .writ/public   ·   writ verify .writ/audit --key-file .writ/public/log.verifier-key
 * ```
 */
export async function publishPublicKeys(dir: string, keys: WritPublicKeys): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  await replaceIfChanged(join(dir, PUBLIC_FILES.jwks), `${JSON.stringify(keys.jwks, null, 2)}\n`);
  if (keys.verifierKey !== undefined) {
    await replaceIfChanged(join(dir, PUBLIC_FILES.verifierKey), `${keys.verifierKey}\n`);
  }
}

async function replaceIfChanged(file: string, text: string): Promise<void> {
  const current = await readFile(file, 'utf8').catch(() => undefined);
  if (current === text) return;
  const tmp = `${file}.${randomUUID()}.tmp`;
  await writeFile(tmp, text, { mode: 0o644, flag: 'wx' });
  await chmod(tmp, 0o644); // the umask may have narrowed it
  await rename(tmp, file);
}
