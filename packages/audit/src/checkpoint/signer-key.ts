import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  KeyObject,
  sign as signBytes,
} from 'node:crypto';
import { WritError } from '@writ/core';
import {
  badSigner,
  ED25519,
  formatVerifierKey,
  KEY_ID_HEX,
  keyId,
  rawPublicKey,
  splitKey,
} from './key-id.js';
import { formatSignatureLine } from './signature-line.js';
import { checkNoteText, decodeBase64, isKeyName } from './text.js';

/**
 * C2SP signer keys (`PRIVATE+KEY+<name>+<hex id>+<base64(0x01 ‖ seed)>`, the format of Go's
 * `golang.org/x/mod/sumdb/note`) and the signers made from them.
 */

const SIGNER_KEY_PREFIX = 'PRIVATE+KEY+';
/** RFC 8410 DER wrapper for a raw Ed25519 seed (PKCS #8). */
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * What signs a log's checkpoints: a key name, its key id and verifier key, and a `sign` that may be
 * asynchronous (a KMS or HSM behind a network call). {@link NoteSigner} (a key held in memory) is one;
 * `createRemoteNoteSigner` makes one around a remote `sign`.
 *
 * @example
 * ```ts
 * const signer: CheckpointSigner = createRemoteNoteSigner({ name: 'writ/audit/orders', publicKey, sign: kmsSign });
 * const audit = await createPostgresAuditSink({ pool, logId: 'orders', signer });
 * ```
 */
export interface CheckpointSigner {
  /** The key name in signature lines (for checkpoints, usually the log's origin). */
  readonly name: string;
  /** The 4-byte key id. */
  readonly keyId: Buffer;
  /** The C2SP verifier key `<name>+<hex key id>+<base64(0x01 ‖ public key)>` to hand to verifiers. */
  readonly verifierKey: string;
  /** Signs note text (ending in a newline) and returns the signature line, newline included. */
  sign(text: string): string | Promise<string>;
}

/**
 * Signs note text under one C2SP key name, synchronously (the key is in memory). Create with {@link createNoteSigner}.
 *
 * @example
 * ```ts
 * const signer: NoteSigner = createNoteSigner(signerKey);
 * signer.sign('hello\n'); // '— example.com/log <base64(key id ‖ signature)>\n'
 * ```
 */
export interface NoteSigner extends CheckpointSigner {
  /** The key name in signature lines (for checkpoints, usually the log's origin). */
  readonly name: string;
  /** The 4-byte key id. */
  readonly keyId: Buffer;
  /** The C2SP verifier key `<name>+<hex key id>+<base64(0x01 ‖ public key)>` to hand to verifiers. */
  readonly verifierKey: string;
  /** Signs note text (ending in a newline) and returns the signature line, newline included. */
  sign(text: string): string;
}

/**
 * Generates an Ed25519 note key. The signer key (`PRIVATE+KEY+<name>+<hex id>+<base64(0x01 ‖ seed)>`,
 * the format of Go's `golang.org/x/mod/sumdb/note`) is a secret: store it like one. Throws
 * `WRIT_OPTIONS_INVALID` for a name that is empty or has a space or `+`.
 *
 * @example
 * ```ts
 * const { signerKey, verifierKey } = generateNoteKeys('example.com/audit');
 * await writeFile(keyFile, signerKey, { mode: 0o600 });
 * console.log('verify with', verifierKey); // 'example.com/audit+1a2b3c4d+AQ…'
 * ```
 */
export function generateNoteKeys(name: string): { signerKey: string; verifierKey: string } {
  checkName('generateNoteKeys', name);
  return generateTypedKeys(name, ED25519);
}

/**
 * A new Ed25519 key pair as C2SP signer and verifier key strings of signature `type` (0x01 note keys,
 * 0x04 `cosignature/v1` witness keys); the name is checked by the caller.
 *
 * @example
 * ```ts
 * const { signerKey, verifierKey } = generateTypedKeys('witness.example/w1', ED25519_COSIGNATURE);
 * ```
 * @internal
 */
export function generateTypedKeys(name: string, type: number): { signerKey: string; verifierKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const seed = rawSeed(privateKey);
  const raw = rawPublicKey(publicKey);
  const id = keyId(name, raw, type);
  const typed = Buffer.concat([Buffer.of(type), seed]);
  const signerKey = `${SIGNER_KEY_PREFIX}${name}+${id.toString('hex')}+${typed.toString('base64')}`;
  typed.fill(0);
  seed.fill(0);
  return { signerKey, verifierKey: formatVerifierKey(name, id, raw, type) };
}

/**
 * Creates a signer from a C2SP signer key string or from a name and an Ed25519 private `KeyObject`.
 * Throws `WRIT_OPTIONS_INVALID` for a malformed key, a key id that does not match the key, or a key that
 * is not Ed25519; the message never contains key material.
 *
 * @example
 * ```ts
 * const signer = createNoteSigner(await readFile(keyFile, 'utf8').then((s) => s.trim()));
 * const audit = await createFileAuditSink({ signer });
 * ```
 */
export function createNoteSigner(key: string | { name: string; privateKey: KeyObject }): NoteSigner {
  let name: string;
  let privateKey: KeyObject;
  if (typeof key === 'string') {
    ({ name, privateKey } = parseSignerKey(key));
  } else {
    if (typeof key !== 'object' || key === null) {
      badSigner('expected a signer key string or { name, privateKey }');
    }
    checkName('createNoteSigner', key.name);
    if (
      !(key.privateKey instanceof KeyObject) ||
      key.privateKey.type !== 'private' ||
      key.privateKey.asymmetricKeyType !== 'ed25519'
    ) {
      badSigner('privateKey must be an Ed25519 private KeyObject');
    }
    name = key.name;
    privateKey = key.privateKey;
  }
  const raw = rawPublicKey(createPublicKey(privateKey));
  const id = keyId(name, raw);
  return Object.freeze({
    name,
    keyId: Buffer.from(id),
    verifierKey: formatVerifierKey(name, id, raw),
    sign(text: string): string {
      checkNoteText(text);
      return formatSignatureLine(name, id, signBytes(null, Buffer.from(text, 'utf8'), privateKey));
    },
  });
}

/**
 * Parses a C2SP signer key `PRIVATE+KEY+<name>+<hex id>+<base64(type ‖ seed)>` of signature `type`
 * (0x01 by default). Throws `WRIT_OPTIONS_INVALID` (never with key material in the message).
 *
 * @example
 * ```ts
 * const { name, privateKey } = parseSignerKey(secret, ED25519_COSIGNATURE);
 * ```
 * @internal
 */
export function parseSignerKey(key: string, type: number = ED25519): { name: string; privateKey: KeyObject } {
  if (typeof key !== 'string') badSigner('a signer key is a string');
  if (!key.startsWith(SIGNER_KEY_PREFIX)) badSigner('a signer key starts with PRIVATE+KEY+');
  const [name, idHex, encoded] = splitKey(key.slice(SIGNER_KEY_PREFIX.length), 3);
  if (name === undefined || idHex === undefined || encoded === undefined) {
    badSigner('expected PRIVATE+KEY+<name>+<hex key id>+<base64 key>');
  }
  if (!isKeyName(name)) badSigner('the key name is empty or has a space, "+" or control character');
  if (!KEY_ID_HEX.test(idHex)) badSigner('the key id must be 8 hex digits');
  const typed = decodeBase64(encoded);
  if (typed === undefined || typed.length === 0) badSigner('the key is not standard base64');
  if (typed[0] !== type) {
    badSigner(`only Ed25519 keys of type 0x0${type.toString(16)} are supported here`);
  }
  if (typed.length !== 33) badSigner('an Ed25519 signer key holds a 32-byte seed');
  const der = Buffer.concat([PKCS8_ED25519, typed.subarray(1)]);
  typed.fill(0);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } catch {
    badSigner('not a valid Ed25519 seed');
  } finally {
    der.fill(0);
  }
  if (keyId(name, rawPublicKey(createPublicKey(privateKey)), type).toString('hex') !== idHex.toLowerCase()) {
    badSigner('the key id does not match the name and key');
  }
  return { name, privateKey };
}

function rawSeed(privateKey: KeyObject): Buffer {
  return privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_ED25519.length);
}

/**
 * Throws `WRIT_OPTIONS_INVALID` (reason `bad-name`) unless `name` is a C2SP key name.
 *
 * @example
 * ```ts
 * checkName('generateWitnessKeys', name);
 * ```
 * @internal
 */
export function checkName(fn: string, name: unknown): asserts name is string {
  if (!isKeyName(name)) {
    throw new WritError(
      'WRIT_OPTIONS_INVALID',
      `${fn}: the key name must be non-empty, without spaces, "+" or control characters`,
      { details: { reason: 'bad-name' } },
    );
  }
}
