import { KeyObject, verify as verifyBytes } from 'node:crypto';
import { WritError } from '@writ/core';
import { functionSchema, validateOptions } from '@writ/core/internal';
import { z } from 'zod';
import { formatVerifierKey, keyId, rawPublicKey } from './key-id.js';
import { formatSignatureLine } from './signature-line.js';
import type { CheckpointSigner } from './signer-key.js';
import { checkNoteText, isKeyName } from './text.js';

/**
 * Options of {@link createRemoteNoteSigner}: the key name, the Ed25519 public key, and the remote
 * signing call.
 *
 * @example
 * ```ts
 * const options: CreateRemoteNoteSignerOptions = {
 *   name: 'writ/audit/orders',
 *   publicKey: createPublicKey(await kms.getPublicKeyPem()),
 *   sign: (message) => kms.signEd25519(message),
 * };
 * ```
 */
export interface CreateRemoteNoteSignerOptions {
  /** The key name in signature lines (usually the log's origin, `writ/audit/<logId>`). */
  name: string;
  /** The Ed25519 public key of the remote key (a public `KeyObject`), checked against every signature. */
  publicKey: KeyObject;
  /** Returns the raw 64-byte Ed25519 signature of `message` (a KMS or HSM call; may take time). */
  sign: (message: Uint8Array) => Promise<Uint8Array>;
}

const optionsSchema = z.strictObject({
  name: z
    .string()
    .refine(isKeyName, 'must be a key name: non-empty, without spaces, "+" or control characters'),
  publicKey: z.custom<KeyObject>(
    (v) => v instanceof KeyObject && v.type === 'public' && v.asymmetricKeyType === 'ed25519',
    { message: 'must be an Ed25519 public KeyObject' },
  ),
  sign: functionSchema<(message: Uint8Array) => Promise<Uint8Array>>(),
});

/**
 * A checkpoint signer whose private key stays in a KMS or HSM: `sign` is asynchronous. Every signature
 * the remote returns is verified with `publicKey` before it is used, so a wrong key or a garbled answer
 * fails the checkpoint (`WRIT_AUDIT_UNAVAILABLE`, reason `signer_failed`) instead of sealing the log with
 * a signature nobody can verify.
 *
 * @example
 * ```ts
 * import { createPublicKey } from 'node:crypto';
 *
 * const signer = createRemoteNoteSigner({
 *   name: 'writ/audit/orders',
 *   publicKey: createPublicKey(process.env.WRIT_AUDIT_PUBLIC_KEY_PEM ?? ''),
 *   sign: async (message) => {
 *     const res = await fetch('https://signer.internal/sign', { method: 'POST', body: message });
 *     return new Uint8Array(await res.arrayBuffer());
 *   },
 * });
 * const audit = await createPostgresAuditSink({ pool, logId: 'orders', signer });
 * ```
 */
export function createRemoteNoteSigner(options: CreateRemoteNoteSignerOptions): CheckpointSigner {
  const o = validateOptions(
    optionsSchema,
    options,
    'createRemoteNoteSigner',
  ) as CreateRemoteNoteSignerOptions;
  const raw = rawPublicKey(o.publicKey);
  const id = keyId(o.name, raw);
  const { name, publicKey, sign } = o;
  return Object.freeze({
    name,
    keyId: Buffer.from(id),
    verifierKey: formatVerifierKey(name, id, raw),
    async sign(text: string): Promise<string> {
      checkNoteText(text);
      const message = Buffer.from(text, 'utf8');
      let signature: Uint8Array;
      try {
        signature = await sign(message);
      } catch (cause) {
        throw signerFailed(
          name,
          `the remote signer failed: ${cause instanceof Error ? cause.message : String(cause)}`,
          cause,
        );
      }
      if (!(signature instanceof Uint8Array) || !verifyBytes(null, message, publicKey, signature)) {
        throw signerFailed(
          name,
          'the remote signer returned a signature that does not verify with its public key',
        );
      }
      return formatSignatureLine(name, id, signature);
    },
  });
}

function signerFailed(name: string, message: string, cause?: unknown): WritError {
  return new WritError('WRIT_AUDIT_UNAVAILABLE', `checkpoint signer ${name}: ${message}`, {
    cause,
    details: { reason: 'signer_failed' },
  });
}
