import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { globMayMatchSecret, isSecretPath, realPath, resolveWorkspacePath } from './paths.js';

const root = mkdtempSync(join(tmpdir(), 'writ-coding-paths-'));
const workspace = join(root, 'project');
const outside = join(root, 'elsewhere');
mkdirSync(join(workspace, 'src'), { recursive: true });
mkdirSync(outside);
symlinkSync(outside, join(workspace, 'escape')); // a link inside the workspace to a directory outside it
symlinkSync(join(workspace, 'src'), join(root, 'link-to-src'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('resolveWorkspacePath', () => {
  const where = { workspace, home: join(root, 'home') };
  it('relative, ./, .. that stays inside, and absolute inside paths are inside', () => {
    expect(resolveWorkspacePath('src/a.ts', where).inside).toBe(true);
    expect(resolveWorkspacePath('./src/../src/a.ts', where).inside).toBe(true);
    expect(resolveWorkspacePath(join(workspace, 'README.md'), where).inside).toBe(true);
    expect(resolveWorkspacePath('.', where).inside).toBe(true);
  });
  it('.., absolute and ~ paths outside are outside', () => {
    expect(resolveWorkspacePath('../elsewhere/x', where)).toMatchObject({
      inside: false,
      path: join(outside, 'x'),
    });
    expect(resolveWorkspacePath('/etc/passwd', where).inside).toBe(false);
    expect(resolveWorkspacePath('~/.bashrc', where)).toMatchObject({
      inside: false,
      path: join(root, 'home/.bashrc'),
    });
    expect(resolveWorkspacePath(`${workspace}-sibling/x`, where).inside).toBe(false);
  });
  it('symlinks are followed: a link inside pointing outside is outside, even for files not yet created', () => {
    expect(resolveWorkspacePath('escape/new-file.txt', where)).toMatchObject({
      inside: false,
      real: join(realPath(outside), 'new-file.txt'),
    });
    expect(resolveWorkspacePath('escape', where).inside).toBe(false);
  });
  it('a workspace reached through a symlink still contains its files', () => {
    const viaLink = { workspace: join(root, 'link-to-src'), home: '/nowhere' };
    expect(resolveWorkspacePath('a.ts', viaLink).inside).toBe(true);
    expect(resolveWorkspacePath(join(workspace, 'src', 'b.ts'), viaLink).inside).toBe(true);
  });
  it('relative to a cwd', () => {
    expect(resolveWorkspacePath('x', where, '/etc').path).toBe('/etc/x');
    expect(resolveWorkspacePath('x', where, 'src').path).toBe(join(workspace, 'src/x'));
  });
});

describe('isSecretPath / globMayMatchSecret', () => {
  it.each([
    '.env',
    '/p/.env.local',
    '/p/.env.production',
    '/home/dev/.ssh/config',
    '/home/dev/.aws/credentials',
    '/p/certs/server.pem',
    '/p/tls.key',
    '/home/dev/.ssh/id_ed25519.pub',
    '/home/dev/id_rsa',
    '/home/dev/.netrc',
    '/home/dev/.npmrc',
    '/home/dev/.config/gcloud/application_default_credentials.json',
    '/home/dev/.kube/config',
    '/p/.git-credentials',
  ])('%s is a secret', (p) => expect(isSecretPath(p)).toBe(true));
  it.each([
    '/p/.env.example',
    '/p/.env.sample',
    '/p/src/env.ts',
    '/p/README.md',
    '/p/keys.ts',
    '/p/environment.md',
  ])('%s is not', (p) => expect(isSecretPath(p)).toBe(false));
  it('globs that may match credentials', () => {
    expect(globMayMatchSecret('.e*')).toBe(true);
    expect(globMayMatchSecret('*.pem')).toBe(true);
    expect(globMayMatchSecret('id_*')).toBe(true);
    expect(globMayMatchSecret('/home/dev/.s*/config')).toBe(true);
    expect(globMayMatchSecret('.env*')).toBe(true);
    expect(globMayMatchSecret('src/*.ts')).toBe(false);
    expect(globMayMatchSecret('*')).toBe(false); // bash * does not match dot files
    expect(globMayMatchSecret('**/*.ts')).toBe(false);
  });
});
