import { createHash } from 'node:crypto';
import { access, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { WritError } from '@writ/core';
import type { LocalAuthority } from '@writ/identity';
import { type Command, InvalidArgumentError } from 'commander';
import type { CommandContext } from '../command-context.js';
import { describeError } from '../command-context.js';
import { EXIT_CODES } from '../exit-codes.js';
import type { ActionFactory } from '../program.js';
import { safeTerminalText } from '../terminal-text.js';
import { type PublicJwks, readPublicJwks } from './public-jwks.js';

/**
 * One public key of the local authority, as `writ keys show` lists it.
 *
 * @example
 * ```ts
 * const key: KeyInfo = { kid: 'k1…', thumbprint: 'k1…', kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', current: true };
 * ```
 */
export interface KeyInfo {
  readonly kid: string;
  /** RFC 7638 SHA-256 JWK thumbprint (base64url) computed from the public key; equals `kid` for Writ keys. */
  readonly thumbprint: string;
  readonly kty: string;
  readonly crv: string | null;
  readonly alg: string | null;
  /** Whether this is the current signing key (the others are retired, still trusted for verification). */
  readonly current: boolean;
}

/**
 * The `--json` output of `writ keys show`.
 *
 * @example
 * ```ts
 * const { authority, verifierKeys } = JSON.parse(stdout) as KeysShowJson;
 * ```
 */
export interface KeysShowJson {
  /** The key directory. */
  readonly dir: string;
  /** The local authority (`authority.json`), or `null` when the directory holds none. */
  readonly authority: {
    readonly trustDomain: string;
    readonly issuer: string;
    readonly kid: string;
    readonly keys: readonly KeyInfo[];
  } | null;
  /** C2SP verifier keys of the checkpoint-signing keys (`*.note-key`) found in the directory. */
  readonly verifierKeys: readonly {
    readonly file: string;
    readonly name: string;
    readonly verifierKey: string;
  }[];
  /** Key files that could not be read (loose permissions, malformed). */
  readonly problems: readonly { readonly file: string; readonly code: string; readonly message: string }[];
}

/**
 * The `--json` output of `writ keys export-jwks --out <file>` (without `--out` the JWKS itself is printed).
 *
 * @example
 * ```ts
 * const { out, kids } = JSON.parse(stdout) as KeysExportJson;
 * ```
 */
export interface KeysExportJson {
  readonly out: string;
  readonly kids: readonly string[];
}

/**
 * The `--json` output of `writ keys rotate`.
 *
 * @example
 * ```ts
 * const { previousKid, kid } = JSON.parse(stdout) as KeysRotateJson;
 * ```
 */
export interface KeysRotateJson {
  readonly dir: string;
  readonly previousKid: string;
  readonly kid: string;
  /** Kids now in the JWKS: the new current key first, then the retained previous keys. */
  readonly kids: readonly string[];
}

interface KeysFlags {
  dir: string;
  trustDomain: string;
  out?: string;
  retain?: number;
  public?: string;
}

const AUTHORITY_FILE = 'authority.json';
/** `LOCAL_AUTHORITY_DEFAULTS` of `@writ/identity`, spelled out so that `writ --help` need not load it. */
const AUTHORITY_DEFAULTS = { dir: '.writ/keys', trustDomain: 'writ.local' } as const;

/**
 * Registers `writ keys show | export-jwks | rotate`, working on the local authority's key directory
 * (`--dir`, default `.writ/keys`).
 *
 * @example
 * ```ts
 * registerKeysCommand(program, action);
 * ```
 */
export function registerKeysCommand(program: Command, action: ActionFactory): void {
  const keys = program
    .command('keys')
    .description('inspect, export and rotate the local authority keys (.writ/keys)');
  const common = (cmd: Command) =>
    cmd
      .option('--dir <dir>', 'key directory', AUTHORITY_DEFAULTS.dir)
      .option(
        '--trust-domain <domain>',
        'SPIFFE trust domain of the authority',
        AUTHORITY_DEFAULTS.trustDomain,
      )
      .option('--json', 'print one JSON document on stdout');
  common(
    keys
      .command('show')
      .description(
        'show the authority (kid, issuer, trust domain, public key thumbprints) and the checkpoint verifier keys',
      ),
  ).action(action(runShow));
  common(
    keys
      .command('export-jwks')
      .description('print (or write) the public JWKS downstream services verify Writ tokens with')
      .option('--out <file>', 'write the JWKS to a file instead of stdout')
      .option(
        '--public <dir-or-file>',
        'read the JWKS the runtime published (.writ/public) instead of the private key directory',
      ),
  ).action(action(runExport));
  common(
    keys
      .command('rotate')
      .description(
        'make a new current signing key; previous keys stay in the JWKS until --retain is exceeded',
      )
      .option('--retain <n>', 'previous keys kept for verification', parseRetain, 2),
  ).action(action(runRotate));
}

function parseRetain(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0 || n > 100)
    throw new InvalidArgumentError('must be a whole number from 0 to 100');
  return n;
}

/** The authority in `dir`, never creating one (an inspection must not mint keys). */
async function openAuthority(ctx: CommandContext, flags: KeysFlags): Promise<LocalAuthority | undefined> {
  const dir = ctx.path(flags.dir);
  const exists = await access(join(dir, AUTHORITY_FILE)).then(
    () => true,
    () => false,
  );
  if (!exists) return undefined;
  const { createLocalAuthority } = await import('@writ/identity');
  return createLocalAuthority({ dir, trustDomain: flags.trustDomain });
}

function noAuthority(dir: string): WritError {
  return new WritError(
    'WRIT_IDENTITY_UNAVAILABLE',
    `${dir} holds no local authority (${AUTHORITY_FILE}); it is created on first use by the Writ runtime`,
  );
}

/**
 * RFC 7638 JWK thumbprint (SHA-256, base64url) of a public JWK.
 *
 * @example
 * ```ts
 * jwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' });
 * // 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k'
 * ```
 */
export function jwkThumbprint(jwk: Readonly<Record<string, unknown>>): string {
  const members: Readonly<Record<string, readonly string[]>> = {
    OKP: ['crv', 'kty', 'x'],
    EC: ['crv', 'kty', 'x', 'y'],
    RSA: ['e', 'kty', 'n'],
    oct: ['k', 'kty'],
  };
  const required = members[String(jwk.kty)];
  if (required === undefined)
    throw new WritError('WRIT_IDENTITY_INVALID', `unsupported key type ${JSON.stringify(jwk.kty)}`);
  const canonical: Record<string, unknown> = {};
  for (const name of required) {
    if (typeof jwk[name] !== 'string')
      throw new WritError('WRIT_IDENTITY_INVALID', `JWK member "${name}" is missing`);
    canonical[name] = jwk[name];
  }
  return createHash('sha256').update(JSON.stringify(canonical)).digest('base64url');
}

async function findVerifierKeys(dir: string): Promise<Pick<KeysShowJson, 'verifierKeys' | 'problems'>> {
  const names = await readdir(dir).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [] as string[];
    throw error;
  });
  const { createNoteSigner } = await import('@writ/audit');
  const verifierKeys: { file: string; name: string; verifierKey: string }[] = [];
  const problems: { file: string; code: string; message: string }[] = [];
  for (const name of names.filter((n) => n.endsWith('.note-key')).sort()) {
    const file = join(dir, name);
    try {
      const info = await stat(file);
      if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
        problems.push({
          file,
          code: 'WRIT_AUDIT_UNAVAILABLE',
          message: 'readable by group or others (run chmod 600 on it); the log writer refuses it',
        });
      }
      const signer = createNoteSigner((await readFile(file, 'utf8')).trim());
      verifierKeys.push({ file, name: signer.name, verifierKey: signer.verifierKey });
    } catch (error) {
      problems.push({ file, ...describeError(error) });
    }
  }
  return { verifierKeys, problems };
}

async function runShow(ctx: CommandContext, command: Command): Promise<number> {
  const flags = command.opts<KeysFlags>();
  const dir = ctx.path(flags.dir);
  const authority = await openAuthority(ctx, flags);
  const found = await findVerifierKeys(dir);
  if (authority === undefined && found.verifierKeys.length === 0 && found.problems.length === 0)
    throw noAuthority(dir);
  const json: KeysShowJson = {
    dir,
    authority:
      authority === undefined
        ? null
        : {
            trustDomain: authority.trustDomain,
            issuer: authority.issuer,
            kid: authority.kid,
            keys: authority.jwks().keys.map((k) => ({
              kid: String(k.kid),
              thumbprint: jwkThumbprint(k as Record<string, unknown>),
              kty: String(k.kty),
              crv: k.crv ?? null,
              alg: k.alg ?? null,
              current: k.kid === authority.kid,
            })),
          },
    ...found,
  };
  if (ctx.json) {
    ctx.printJson(json);
    return EXIT_CODES.ok;
  }
  const c = ctx.out;
  // names and values read from the key directory (file names, the authority's issuer, key ids) are escaped
  const t = safeTerminalText;
  ctx.print(`${c.bold('keys in')} ${t(dir)}`);
  if (json.authority === null) ctx.print(`${c.yellow('no local authority')} (${AUTHORITY_FILE} missing)`);
  else {
    const a = json.authority;
    ctx.print(c.bold('local authority'));
    ctx.print(`  issuer        ${t(a.issuer)}`);
    ctx.print(`  trust domain  ${t(a.trustDomain)}`);
    ctx.print(`  current kid   ${c.cyan(t(a.kid))}`);
    ctx.print('  public keys (JWK thumbprints, RFC 7638)');
    for (const k of a.keys) {
      const mark = k.current ? c.green('* current') : c.dim('  retired');
      const mismatch = k.thumbprint === k.kid ? '' : c.yellow(` (kid ${t(k.kid)})`);
      ctx.print(
        `    ${mark}  ${k.thumbprint}${mismatch}  ${t(k.kty)} ${t(k.crv ?? '')} ${t(k.alg ?? '')}`.trimEnd(),
      );
    }
  }
  ctx.print(c.bold('checkpoint verifier keys'));
  if (json.verifierKeys.length === 0) ctx.print(c.dim('  none found (*.note-key)'));
  for (const k of json.verifierKeys) ctx.print(`  ${t(k.verifierKey)}  ${c.dim(`(${t(k.file)})`)}`);
  for (const p of json.problems) ctx.print(`${c.yellow('⚠')} ${t(p.file)}: ${t(p.code)}: ${t(p.message)}`);
  return EXIT_CODES.ok;
}

async function runExport(ctx: CommandContext, command: Command): Promise<number> {
  const flags = command.opts<KeysFlags>();
  const jwks = await exportedJwks(ctx, flags);
  const text = `${JSON.stringify(jwks, null, 2)}\n`;
  if (flags.out === undefined) {
    ctx.stdout.write(text);
    return EXIT_CODES.ok;
  }
  const out = ctx.path(flags.out);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, text, { mode: 0o644 });
  const kids = jwks.keys.map((k) => String(k.kid));
  if (ctx.json) ctx.printJson({ out, kids } satisfies KeysExportJson);
  else ctx.print(`${ctx.out.green('✔')} wrote ${kids.length} public key(s) to ${safeTerminalText(out)}`);
  return EXIT_CODES.ok;
}

/** The JWKS to export: the published public file with `--public`, else the authority's public half. */
async function exportedJwks(ctx: CommandContext, flags: KeysFlags): Promise<PublicJwks> {
  if (flags.public !== undefined) return readPublicJwks(ctx.path(flags.public));
  const authority = await openAuthority(ctx, flags);
  if (authority === undefined) throw noAuthority(ctx.path(flags.dir));
  return authority.jwks() as PublicJwks;
}

async function runRotate(ctx: CommandContext, command: Command): Promise<number> {
  const flags = command.opts<KeysFlags>();
  const authority = await openAuthority(ctx, flags);
  if (authority === undefined) throw noAuthority(ctx.path(flags.dir));
  const previousKid = authority.kid;
  const kid = await authority.rotate({ retainPrevious: flags.retain ?? 2 });
  const json: KeysRotateJson = {
    dir: authority.dir,
    previousKid,
    kid,
    kids: authority.jwks().keys.map((k) => String(k.kid)),
  };
  if (ctx.json) ctx.printJson(json);
  else {
    const c = ctx.out;
    ctx.print(`${c.green('✔')} rotated the local authority key in ${safeTerminalText(json.dir)}`);
    ctx.print(`  previous ${safeTerminalText(previousKid)}`);
    ctx.print(`  current  ${c.cyan(safeTerminalText(kid))}`);
    ctx.print(
      `  ${json.kids.length} key(s) in the JWKS; re-export it for downstream verifiers (writ keys export-jwks)`,
    );
  }
  return EXIT_CODES.ok;
}
