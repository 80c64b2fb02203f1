import { type FSWatcher, type Stats, unwatchFile, watch, watchFile } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { WritError } from '@writ/core';
import { clockSchema, functionSchema, validateOptions } from '@writ/core/internal';
import { toWritError } from '@writ/core/plugin';
import { z } from 'zod';
import { tokenError } from '../jwt.js';
import {
  createJwtBundleSet,
  decodeJsonInput,
  type JwtBundle,
  type JwtBundleSet,
  parseJwtBundle,
  parseJwtBundles,
} from './jwt-bundle.js';
import { parseSpiffeId } from './spiffe-id.js';

/**
 * Default option values of {@link createJwtSvidFileSource}.
 *
 * @example
 * ```ts
 * createJwtSvidFileSource({ svidPath, bundlePath, debounceMs: JWT_SVID_FILE_DEFAULTS.debounceMs * 2 });
 * ```
 */
export const JWT_SVID_FILE_DEFAULTS = Object.freeze({
  /** How files are watched. @default 'auto' */
  watch: 'auto' as 'auto' | 'poll' | 'off',
  /** Quiet time after a change before the files are re-read (a sidecar writes in several steps). @default 100 */
  debounceMs: 100,
  /** Stat interval when polling. @default 1000 */
  pollIntervalMs: 1_000,
  /** Largest file read. @default 1 MiB */
  maxFileBytes: 1024 * 1024,
});

/**
 * Options of {@link createJwtSvidFileSource}.
 *
 * @example
 * ```ts
 * const options: JwtSvidFileSourceOptions = { svidPath: '/run/spiffe/jwt_svid.token', bundlePath: '/run/spiffe/jwt_bundle.json', watch: 'poll' };
 * ```
 */
export interface JwtSvidFileSourceOptions {
  /** File holding the JWT-SVID (compact JWS), e.g. spiffe-helper's `jwt_svid_file_name`. */
  svidPath: string;
  /**
   * File holding the JWT bundles: a JWK Set for one trust domain, or an object keyed by trust domain
   * (`example.org` or `spiffe://example.org`) whose values are JWK Sets, their JSON text, or base64 of it
   * (spiffe-helper's `jwt_bundle_file_name`).
   */
  bundlePath: string;
  /** Trust domain of a bundle file that is a bare JWK Set. @default the trust domain of the SVID's `sub` */
  trustDomain?: string | undefined;
  /**
   * `auto`: `fs.watch` on the files' directories (catches rename-replace and Kubernetes symlink swaps),
   * falling back to polling where `fs.watch` is unavailable; `poll`: stat polling only; `off`: read once.
   * @default JWT_SVID_FILE_DEFAULTS.watch
   */
  watch?: 'auto' | 'poll' | 'off' | undefined;
  /** @default JWT_SVID_FILE_DEFAULTS.debounceMs */
  debounceMs?: number | undefined;
  /** @default JWT_SVID_FILE_DEFAULTS.pollIntervalMs */
  pollIntervalMs?: number | undefined;
  /** @default JWT_SVID_FILE_DEFAULTS.maxFileBytes */
  maxFileBytes?: number | undefined;
  /** Epoch-ms clock for expiry checks. @default Date.now */
  clock?: (() => number) | undefined;
  /** Called after the files changed and were read successfully. */
  onUpdate?: ((source: JwtSvidFileSource) => void) | undefined;
  /** Called when a re-read fails (the source then refuses until the files are fixed). */
  onError?: ((error: WritError) => void) | undefined;
}

/**
 * The JWT-SVID read from the file. Decoded, not verified: validate `token` with `validateJwtSvid`.
 *
 * @example
 * ```ts
 * const { token, spiffeId, expiresAt }: JwtSvidFromFile = files.current();
 * ```
 */
export interface JwtSvidFromFile {
  /** The SPIFFE ID in the token's `sub`. */
  readonly spiffeId: string;
  /** The JWT-SVID (compact JWS). */
  readonly token: string;
  /** The token's `exp`. */
  readonly expiresAt: Date;
  /** The token's `aud`, as an array. */
  readonly audience: readonly string[];
}

/**
 * A JWT-SVID and its bundles kept up to date from files.
 *
 * @example
 * ```ts
 * const files: JwtSvidFileSource = await createJwtSvidFileSource({ svidPath, bundlePath });
 * const svid = await validateJwtSvid(files.current().token, { audience: 'writ', bundles: files.bundles });
 * ```
 */
export interface JwtSvidFileSource {
  /**
   * The current SVID. Throws when the last read failed (`WRIT_TOKEN_INVALID`, `WRIT_IDENTITY_INVALID`,
   * `WRIT_IDENTITY_UNAVAILABLE`), when the SVID has expired (`WRIT_TOKEN_EXPIRED`), or after `close()`.
   */
  current(): JwtSvidFromFile;
  /** The bundles from the bundle file (last successfully read). */
  readonly bundles: JwtBundleSet;
  /** Re-reads both files now; rejects (and the source refuses) if they are unreadable. */
  reload(): Promise<void>;
  /** Stops watching. */
  close(): Promise<void>;
}

const optionsSchema = z.strictObject({
  svidPath: z.string().min(1),
  bundlePath: z.string().min(1),
  trustDomain: z.string().min(1).optional(),
  watch: z.enum(['auto', 'poll', 'off']).optional(),
  debounceMs: z.number().int().min(0).max(60_000).optional(),
  pollIntervalMs: z.number().int().min(5).max(3_600_000).optional(),
  maxFileBytes: z.number().int().positive().optional(),
  clock: clockSchema.optional(),
  onUpdate: functionSchema<(source: JwtSvidFileSource) => void>().optional(),
  onError: functionSchema<(error: WritError) => void>().optional(),
});

const WHAT = 'JWT-SVID file';

interface Snapshot {
  svid: JwtSvidFromFile;
  bundles: JwtBundle[];
  raw: string;
}

async function readText(path: string, maxBytes: number, what: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new WritError('WRIT_IDENTITY_UNAVAILABLE', `cannot read the ${what} ${path}`, {
      details: { reason: 'file_unreadable', path },
      cause: error,
    });
  }
  if (bytes.length > maxBytes) {
    throw new WritError('WRIT_IDENTITY_INVALID', `the ${what} ${path} is larger than ${maxBytes} bytes`, {
      details: { reason: 'file_too_large', path },
    });
  }
  return bytes.toString('utf8');
}

function decodeSvid(text: string, path: string, now: number): JwtSvidFromFile {
  const token = text.trim();
  const unparsable = (message: string, cause?: unknown) =>
    tokenError('WRIT_TOKEN_INVALID', WHAT, 'unparsable', `${path}: ${message}`, { path }, cause);
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((part) => !/^[A-Za-z0-9_-]+$/.test(part))) {
    throw unparsable('not a compact JWS');
  }
  let claims: Record<string, unknown>;
  try {
    const value: unknown = JSON.parse(Buffer.from(parts[1] as string, 'base64url').toString('utf8'));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
    claims = value as Record<string, unknown>;
  } catch (error) {
    throw unparsable('the payload is not a JSON object', error);
  }
  let spiffeId: string;
  try {
    spiffeId = parseSpiffeId(claims.sub).toString();
  } catch (error) {
    throw unparsable('"sub" is not a valid SPIFFE ID', error);
  }
  if (typeof claims.exp !== 'number') throw unparsable('"exp" is missing');
  if (claims.exp * 1000 <= now) {
    throw tokenError('WRIT_TOKEN_EXPIRED', WHAT, 'expired', `${path}: the JWT-SVID has expired`, { path });
  }
  const aud = claims.aud;
  const audience =
    typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud.filter((a) => typeof a === 'string') : [];
  return Object.freeze({
    spiffeId,
    token,
    expiresAt: new Date(claims.exp * 1000),
    audience: Object.freeze(audience),
  });
}

function decodeBundles(text: string, defaultTrustDomain: string): JwtBundle[] {
  const value = decodeJsonInput(text, 'the bundle file');
  if (typeof value === 'object' && value !== null && Array.isArray((value as { keys?: unknown }).keys)) {
    return [parseJwtBundle(defaultTrustDomain, value as Record<string, unknown>)];
  }
  return parseJwtBundles(value as Record<string, string>);
}

/**
 * Reads a JWT-SVID and its trust bundles from files written by a spiffe-helper-style sidecar and keeps
 * them current: the files are re-read when they change (`fs.watch` on their directories, falling back to
 * polling; debounced), and every read replaces the SVID and the bundle set together. Resolves once the
 * files have been read; rejects (a `WritError`) if they are missing, unparsable or the SVID has expired.
 *
 * @example
 * ```ts
 * const files = await createJwtSvidFileSource({ svidPath: '/run/spiffe/jwt_svid.token', bundlePath: '/run/spiffe/jwt_bundle.json' });
 * const { token } = files.current();
 * const svid = await validateJwtSvid(token, { audience: 'writ', bundles: files.bundles });
 * await files.close();
 * ```
 */
export async function createJwtSvidFileSource(options: JwtSvidFileSourceOptions): Promise<JwtSvidFileSource> {
  const o = validateOptions(optionsSchema, options, 'createJwtSvidFileSource');
  const svidPath = resolve(o.svidPath);
  const bundlePath = resolve(o.bundlePath);
  const trustDomain = o.trustDomain;
  const mode = o.watch ?? JWT_SVID_FILE_DEFAULTS.watch;
  const debounceMs = o.debounceMs ?? JWT_SVID_FILE_DEFAULTS.debounceMs;
  const pollIntervalMs = o.pollIntervalMs ?? JWT_SVID_FILE_DEFAULTS.pollIntervalMs;
  const maxBytes = o.maxFileBytes ?? JWT_SVID_FILE_DEFAULTS.maxFileBytes;
  const clock = o.clock ?? Date.now;
  const { onUpdate, onError } = o;
  if (trustDomain !== undefined) parseJwtBundle(trustDomain, { keys: [] }); // validates the name eagerly

  const bundles = createJwtBundleSet();
  let state: Snapshot | undefined;
  let failure: WritError | undefined;
  let closed = false;

  const read = async (): Promise<Snapshot> => {
    const [svidText, bundleText] = await Promise.all([
      readText(svidPath, maxBytes, 'JWT-SVID file'),
      readText(bundlePath, maxBytes, 'JWT bundle file'),
    ]);
    const svid = decodeSvid(svidText, svidPath, clock());
    let parsed: JwtBundle[];
    try {
      parsed = decodeBundles(bundleText, trustDomain ?? parseSpiffeId(svid.spiffeId).trustDomain);
    } catch (error) {
      throw WritError.isInstance(error)
        ? new WritError(error.code, `${bundlePath}: ${error.message}`, {
            details: { ...error.details, path: bundlePath },
            cause: error,
          })
        : error;
    }
    return { svid, bundles: parsed, raw: `${svidText}\u0000${bundleText}` };
  };

  const apply = (next: Snapshot) => {
    bundles.replace(next.bundles);
    state = next;
    failure = undefined;
  };

  // initial read: fail loudly
  apply(await read());

  let reading: Promise<void> | undefined;
  let again = false;
  const refresh = async (): Promise<void> => {
    if (reading !== undefined) {
      again = true;
      return reading;
    }
    reading = (async () => {
      do {
        again = false;
        if (closed) return;
        try {
          const next = await read();
          if (closed) return;
          const changed = failure !== undefined || next.raw !== state?.raw;
          apply(next);
          if (changed) {
            try {
              onUpdate?.(source);
            } catch {
              // a throwing listener must not stop the watch
            }
          }
        } catch (error) {
          failure = toWritError(error, 'WRIT_IDENTITY_UNAVAILABLE', 'cannot read the JWT-SVID files');
          try {
            onError?.(failure);
          } catch {
            // ignore
          }
        }
      } while (again && !closed);
    })().finally(() => {
      reading = undefined;
    });
    return reading;
  };

  let debounce: ReturnType<typeof setTimeout> | undefined;
  const schedule = () => {
    if (closed) return;
    clearTimeout(debounce);
    debounce = setTimeout(() => void refresh(), debounceMs);
  };

  const watchers: FSWatcher[] = [];
  const polled: { path: string; listener: (current: Stats, previous: Stats) => void }[] = [];
  const poll = (path: string) => {
    const listener = (current: Stats, previous: Stats) => {
      if (
        current.mtimeMs !== previous.mtimeMs ||
        current.size !== previous.size ||
        current.ino !== previous.ino
      )
        schedule();
    };
    watchFile(path, { interval: pollIntervalMs, persistent: false }, listener);
    polled.push({ path, listener });
  };
  const names = new Set([basename(svidPath), basename(bundlePath)]);
  if (mode === 'auto') {
    for (const dir of new Set([dirname(svidPath), dirname(bundlePath)])) {
      const files = [svidPath, bundlePath].filter((path) => dirname(path) === dir);
      try {
        const watcher = watch(dir, { persistent: false }, (_event, filename) => {
          // any change in the directory may be a rename-replace or a symlink swap; names filter the rest
          if (filename === null || names.has(String(filename)) || String(filename).startsWith('..'))
            schedule();
        });
        watcher.on('error', () => {
          watcher.close();
          for (const path of files) poll(path);
        });
        watchers.push(watcher);
      } catch {
        for (const path of files) poll(path);
      }
    }
  } else if (mode === 'poll') {
    poll(svidPath);
    if (bundlePath !== svidPath) poll(bundlePath);
  }
  // a rotation between the first read and the watch taking its own first look (a stat poller's baseline
  // is read asynchronously) would otherwise go unseen until the next one: read once more now
  if (mode !== 'off') schedule();

  const source: JwtSvidFileSource = {
    bundles,
    current() {
      if (closed) {
        throw new WritError('WRIT_IDENTITY_UNAVAILABLE', 'the JWT-SVID file source is closed', {
          details: { reason: 'closed' },
        });
      }
      if (failure !== undefined) throw failure;
      const svid = (state as Snapshot).svid;
      if (svid.expiresAt.getTime() <= clock()) {
        throw tokenError('WRIT_TOKEN_EXPIRED', WHAT, 'expired', `${svidPath}: the JWT-SVID has expired`, {
          path: svidPath,
        });
      }
      return svid;
    },
    async reload() {
      await refresh();
      if (failure !== undefined) throw failure;
    },
    async close() {
      closed = true;
      clearTimeout(debounce);
      for (const watcher of watchers.splice(0)) watcher.close();
      for (const { path, listener } of polled.splice(0)) unwatchFile(path, listener);
      await reading;
    },
  };
  return source;
}
