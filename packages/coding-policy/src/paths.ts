import { realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, normalize, relative, resolve, sep } from 'node:path';

/**
 * Where paths are judged from: the workspace the agent may change, and the home directory `~` means.
 *
 * @example
 * ```ts
 * const where: PathContext = { workspace: '/home/dev/project', home: '/home/dev' };
 * ```
 */
export interface PathContext {
  /** The agent's workspace (absolute). */
  readonly workspace: string;
  /** What `~` expands to. @default os.homedir() */
  readonly home?: string | undefined;
}

/**
 * A path as the policy judges it: lexically absolute, then with every symlink of its longest existing
 * prefix resolved (`real`), and whether that real path is inside the real workspace.
 *
 * @example
 * ```ts
 * const p: ResolvedPath = resolveWorkspacePath('../secrets.txt', { workspace: '/home/dev/project' });
 * p.inside; // false
 * ```
 */
export interface ResolvedPath {
  readonly path: string;
  readonly real: string;
  readonly inside: boolean;
  readonly secret: boolean;
}

/** The real path of `path`: symlinks resolved along its longest existing prefix, the rest appended. */
export function realPath(path: string): string {
  let head = path;
  const tail: string[] = [];
  for (;;) {
    try {
      const real = realpathSync.native(head);
      return tail.length === 0 ? real : join(real, ...tail.reverse());
    } catch {
      const parent = dirname(head);
      if (parent === head) return path;
      tail.push(head.slice(parent.length + (parent.endsWith(sep) ? 0 : 1)));
      head = parent;
    }
  }
}

/** `~` and `~/x` expanded; other paths unchanged. */
export function expandHome(path: string, home: string): string {
  if (path === '~') return home;
  if (path.startsWith('~/')) return join(home, path.slice(2));
  return path;
}

/**
 * Resolves a path an agent gave (relative to `cwd`, default the workspace; `~`, `..`, absolute) and judges
 * it: inside the workspace only if its real path (symlinks resolved) is under the workspace's real path.
 *
 * @example
 * ```ts
 * resolveWorkspacePath('~/.ssh/id_rsa', { workspace: '/home/dev/project', home: '/home/dev' });
 * // { path: '/home/dev/.ssh/id_rsa', real: '/home/dev/.ssh/id_rsa', inside: false, secret: true }
 * ```
 */
export function resolveWorkspacePath(path: string, where: PathContext, cwd?: string): ResolvedPath {
  const home = where.home ?? homedir();
  const workspace = resolve(where.workspace);
  const base = cwd === undefined ? workspace : resolve(workspace, expandHome(cwd, home));
  const lexical = normalize(resolve(base, expandHome(path, home)));
  const real = realPath(lexical);
  const root = realPath(workspace);
  const rel = relative(root, real);
  const inside = rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
  return { path: lexical, real, inside, secret: isSecretPath(lexical) || isSecretPath(real) };
}

/** File names that hold credentials (matched on the last path segment). */
const SECRET_FILES: readonly RegExp[] = [
  /^\.env(\..+)?$/, // .env, .env.local, .env.production (not .env.example: see below)
  /\.(pem|key|p12|pfx|jks|keystore|asc|gpg|kdbx)$/i,
  /^id_(rsa|dsa|ecdsa|ed25519)(\.pub)?$/,
  /^\.?(netrc|npmrc|pypirc|pgpass|git-credentials|htpasswd)$/,
  /^credentials(\.json|\.csv|\.yaml|\.yml)?$/,
  /^(service-account|client_secret).*\.json$/,
  /^\.?secrets?(\..+)?$/,
];

/** Templates checked into repositories on purpose. */
const SECRET_TEMPLATES = /^\.env\.(example|sample|template|dist|defaults)$/;

/** Directories whose whole content is credentials. */
const SECRET_DIRS: ReadonlySet<string> = new Set([
  '.ssh',
  '.aws',
  '.gnupg',
  '.kube',
  '.docker',
  '.azure',
  '.password-store',
]);
const SECRET_DIR_PAIRS: readonly (readonly [string, string])[] = [
  ['.config', 'gcloud'],
  ['.config', 'gh'],
];

/**
 * Whether a path names a credentials file or lies in a credentials directory: `.env*` (not
 * `.env.example`-style templates), keys and certificates (`*.pem`, `*.key`, `id_rsa*`…), `.netrc`,
 * `.npmrc`, `.pypirc`, `credentials` files, and anything under `.ssh`, `.aws`, `.gnupg`, `.kube`,
 * `.docker`, `.config/gcloud`, `.config/gh`.
 *
 * @example
 * ```ts
 * isSecretPath('/home/dev/project/.env.local'); // true
 * isSecretPath('/home/dev/project/.env.example'); // false
 * ```
 */
export function isSecretPath(path: string): boolean {
  const parts = path.split(/[\\/]+/).filter((p) => p !== '');
  const last = parts.at(-1) ?? '';
  if (parts.some((p) => SECRET_DIRS.has(p))) return true;
  for (let i = 0; i + 1 < parts.length; i++) {
    if (SECRET_DIR_PAIRS.some(([a, b]) => parts[i] === a && parts[i + 1] === b)) return true;
  }
  if (SECRET_TEMPLATES.test(last)) return false;
  return SECRET_FILES.some((re) => re.test(last));
}

/** Sample credential file names a glob is tested against. */
const SECRET_SAMPLES = [
  '.env',
  '.env.local',
  'id_rsa',
  'id_ed25519',
  'server.pem',
  'tls.key',
  '.netrc',
  '.npmrc',
  'credentials',
  'credentials.json',
  '.git-credentials',
];

/**
 * Whether a glob (`.e*`, `*.pem`, `id_*`) could match a credentials file in its directory, or names a
 * credentials directory. Bash globs do not match a leading dot unless the pattern starts with one; a
 * bare `*` (no literal character) is not counted, or every `ls *` would be refused.
 *
 * @example
 * ```ts
 * globMayMatchSecret('.e*'); // true
 * globMayMatchSecret('src/*.ts'); // false
 * ```
 */
export function globMayMatchSecret(glob: string): boolean {
  if (isSecretPath(glob)) return true;
  const parts = glob.split('/').filter((p) => p !== '');
  const last = parts.at(-1) ?? '';
  const segment = (pattern: string) => {
    const source = pattern
      .replace(/[.+^${}()|\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.');
    const re = new RegExp(`^${source}$`);
    return (name: string) => (name.startsWith('.') && !pattern.startsWith('.') ? false : re.test(name));
  };
  if (parts.some((p) => [...SECRET_DIRS].some(segment(p)))) return true;
  // a bare `*` or `?*` names nothing in particular: not judged a credentials glob (docs say so)
  if (last.replace(/[*?]/g, '') === '') return false;
  return SECRET_SAMPLES.some(segment(last));
}
