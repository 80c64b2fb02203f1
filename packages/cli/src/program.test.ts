// The first block runs the BUILT binary (node packages/cli/dist/bin.js) as a subprocess: build before
// running. The rest runs createProgram in-process with captured streams.
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createFileAuditSink } from '@writ/audit';
import type { AuditEvent } from '@writ/core/plugin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFixtureLog, type FixtureLog, runCli, tempDir } from './__support__/cli.js';
import { createProgram } from './program.js';
import { VERSION } from './version.js';

/** A stream that keeps what is written; `tty` makes it look like a terminal. */
function capture(tty = false): Writable & { text(): string; isTTY?: boolean; columns?: number } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  }) as Writable & { text(): string; isTTY?: boolean; columns?: number };
  stream.text = () => chunks.join('');
  if (tty) {
    stream.isTTY = true;
    stream.columns = 100;
  }
  return stream;
}

let fixture: FixtureLog;
beforeAll(async () => {
  fixture = await buildFixtureLog(await tempDir());
});
afterAll(async () => {
  await rm(fixture.dir, { recursive: true, force: true });
});

describe.concurrent('the writ binary', () => {
  it('--version and --help exit 0', async () => {
    const version = await runCli(['--version']);
    expect(version).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['verify', 'explain', 'tasks', 'calls', 'report', 'keys', 'policy', 'demo'])
      expect(help.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    expect(help.stdout).toContain('Exit codes: 0 ok, 1 verification or policy check failed, 2 usage error');
    const sub = await runCli(['verify', '--help']);
    expect(sub.code).toBe(0);
    expect(sub.stdout).toContain('--key <verifier-key>');
    expect(sub.stdout).toContain('--no-color'); // global options are listed
  });

  it('usage errors exit 2 with the reason on stderr and nothing on stdout', async () => {
    const none = await runCli([]);
    expect(none.code).toBe(2);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain('Usage: writ');
    const unknown = await runCli(['verfy', fixture.logDir]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command 'verfy'[\s\S]*Did you mean verify\?/);
    const option = await runCli(['explain', fixture.logDir, '--tsak', 'x']);
    expect(option.code).toBe(2);
    expect(option.stderr).toMatch(/unknown option '--tsak'/);
    const escaped = await runCli(['explain', fixture.logDir, '--t\u001b[2Ksak', 'x']);
    expect(escaped.code).toBe(2);
    expect(escaped.stderr).toContain("unknown option '--t\\x1b[2Ksak'");
    expect(escaped.stderr).not.toContain('\u001b');
    const excess = await runCli(['verify', fixture.logDir, 'extra']);
    expect(excess.code).toBe(2);
    expect(excess.stderr).toMatch(/too many arguments/);
  });
});

describe.concurrent('the writ binary on what is not a readable Writ log', () => {
  /** Every command that reads a log directory, with what it needs besides the directory. */
  const readers = (dir: string) => [
    ['verify', dir],
    ['explain', dir, '--task', 'x'],
    ['tasks', dir],
    ['calls', dir],
    ['report', dir, '--html', join(fixture.dir, 'never.html')],
  ];

  it('an empty or non-log directory, or a file: "not a Writ log: <dir> (why)", exit 6, for every command', async () => {
    const empty = join(fixture.dir, 'empty');
    await mkdir(empty);
    const other = join(fixture.dir, 'photos');
    await mkdir(other);
    await writeFile(join(other, 'cat.jpg'), 'jpeg');
    const file = join(fixture.dir, 'notes.txt');
    await writeFile(file, 'notes');
    for (const [dir, why] of [
      [empty, 'the directory is empty'],
      [other, 'no log.json and no record segments'],
      [file, 'not a directory'],
    ] as const) {
      for (const args of readers(dir)) {
        const r = await runCli(args);
        expect(r.code, args.join(' ')).toBe(6);
        expect(r.stdout, args.join(' ')).toBe('');
        expect(r.stderr.startsWith(`WRIT_AUDIT_UNAVAILABLE: not a Writ log: ${dir} (${why}`)).toBe(true);
        expect(r.stderr).toMatch(/\)\n$/);
        const json = await runCli([...args, '--json']);
        expect(json.code).toBe(6);
        expect(JSON.parse(json.stdout)).toEqual({
          error: { code: 'WRIT_AUDIT_UNAVAILABLE', message: expect.stringMatching(/^not a Writ log: /) },
        });
      }
    }
    // --unverified reads no log.json, and still refuses what is not a log rather than finding "nothing"
    const unverified = await runCli(['explain', empty, '--task', 'x', '--unverified']);
    expect(unverified.code).toBe(6);
    expect(unverified.stderr).toMatch(/^WRIT_AUDIT_UNAVAILABLE: not a Writ log: /);
  });

  it('a corrupt log.json: a typed error naming the file, exit 3, never a bare SyntaxError', async () => {
    const corrupt = join(fixture.dir, 'corrupt-meta');
    await cp(fixture.logDir, corrupt, { recursive: true });
    await writeFile(join(corrupt, 'log.json'), '{"v":1,"origin":', { mode: 0o600 });
    for (const args of readers(corrupt)) {
      const r = await runCli([...args, '--key', fixture.verifierKey]);
      expect(r.code, args.join(' ')).toBe(3);
      expect(r.stderr, args.join(' ')).toBe(
        `WRIT_AUDIT_UNAVAILABLE: ${join(corrupt, 'log.json')} is not a Writ log description\n`,
      );
      expect(r.stdout + r.stderr).not.toContain('SyntaxError');
    }
  });

  it('usage errors under --json: one JSON object { error: { code: "WRIT_USAGE", message } } on stdout, exit 2', async () => {
    for (const [args, message] of [
      [['verify', fixture.logDir, '--json', '--bogus'], "unknown option '--bogus'"],
      [['verify', '--json'], "missing required argument 'log'"],
      [
        ['tasks', fixture.logDir, '--decision', 'maybe', '--json'],
        /^option '--decision <effect>' argument 'maybe' is invalid/,
      ],
      [['calls', fixture.logDir, '--since', 'yesterday', '--json'], /^--since takes an ISO 8601 time/],
      [
        ['explain', fixture.logDir, '--json'],
        'give exactly one of --task <id>, --call <id>, --correlation <id>',
      ],
      [
        ['verify', fixture.logDir, '--key', 'a', '--key-file', 'b', '--json'],
        'give either --key or --key-file, not both',
      ],
    ] as const) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      const doc = JSON.parse(r.stdout) as { error: { code: string; message: string } };
      expect(Object.keys(doc)).toEqual(['error']);
      expect(doc.error.code).toBe('WRIT_USAGE');
      if (typeof message === 'string') expect(doc.error.message).toBe(message);
      else expect(doc.error.message).toMatch(message);
      expect(r.stderr).toContain('error: '); // the text stays on stderr
    }
    // without --json (or with it after "--", where it is an argument), stdout stays empty
    expect((await runCli(['verify', fixture.logDir, '--bogus'])).stdout).toBe('');
    expect((await runCli(['verify', fixture.logDir, 'extra', '--', '--json'])).stdout).toBe('');
  });
});

describe('createProgram (in-process)', () => {
  it('writes to the injected streams and resolves paths against the injected cwd', async () => {
    const stdout = capture();
    const stderr = capture();
    const program = createProgram({ stdout, stderr, env: {}, cwd: fixture.dir });
    const evidence = ['--key', fixture.verifierKey, '--checkpoint', 'audit/checkpoint'];
    expect(await program.run(['verify', 'audit', ...evidence, '--json'])).toBe(0);
    expect(JSON.parse(stdout.text())).toMatchObject({
      ok: true,
      state: 'anchored',
      log: join(fixture.dir, 'audit'),
    });
    expect(stderr.text()).toBe('');
    // the same program runs again
    const again = capture();
    const second = createProgram({ stdout: again, stderr, env: {}, cwd: fixture.dir });
    expect(await second.run(['explain', 'audit', '--call', 'call-refund', ...evidence])).toBe(0);
    expect(again.text()).toContain('refund_order #call-refund');
    expect(await second.run(['explain', 'audit'])).toBe(2);
    expect(stderr.text()).toContain('give exactly one of');
  });

  it('colours only for a terminal (or FORCE_COLOR), never with NO_COLOR, TERM=dumb or --no-color', async () => {
    const run = async (env: Record<string, string>, args: string[] = []) => {
      const stdout = capture(true);
      await createProgram({ stdout, stderr: capture(), env }).run([
        'explain',
        fixture.logDir,
        '--call',
        'call-lookup',
        ...args,
      ]);
      return stdout.text();
    };
    expect(await run({})).toContain('\u001b[32m✔ allow');
    expect(await run({ NO_COLOR: '1' })).not.toContain('\u001b[');
    expect(await run({}, ['--no-color'])).not.toContain('\u001b[');
    expect(await run({ TERM: 'dumb' })).not.toContain('\u001b[');
    // not a terminal: colour only when forced, and --no-color still wins
    const piped = async (env: Record<string, string>, args: string[] = []) => {
      const stdout = capture();
      await createProgram({ stdout, stderr: capture(), env }).run([
        'explain',
        fixture.logDir,
        '--call',
        'call-delete',
        ...args,
      ]);
      return stdout.text();
    };
    expect(await piped({})).not.toContain('\u001b[');
    expect(await piped({ FORCE_COLOR: '1' })).toContain('\u001b[31m✖ deny');
    expect(await piped({ FORCE_COLOR: '1' }, ['--no-color'])).not.toContain('\u001b[');
  });

  it('shows a progress bar on a terminal stderr for a large log, and none otherwise', async () => {
    const dir = await tempDir('writ-cli-large-');
    try {
      const sink = await createFileAuditSink({ dir: join(dir, 'audit'), keyDir: join(dir, 'keys') });
      const batch: Promise<unknown>[] = [];
      for (let n = 0; n < 10_050; n++) batch.push(sink.append(event(n), { durability: 'batched' }));
      await Promise.all(batch);
      await sink.close?.();
      const tty = capture(true);
      const stdout = capture();
      const code = await createProgram({ stdout, stderr: tty, env: {} }).run([
        'verify',
        join(dir, 'audit'),
        '--key',
        sink.verifierKey,
        '--checkpoint',
        join(dir, 'audit', 'checkpoint'),
      ]);
      expect(code).toBe(0);
      expect(stdout.text()).toMatch(/✔ verified and anchored .*: 10\d\d\d records/);
      expect(tty.text()).toMatch(/verifying \[.*\] \d+% 10000\/10\d\d\d records/);
      const quiet = capture();
      await createProgram({ stdout: capture(), stderr: quiet, env: {} }).run(['verify', join(dir, 'audit')]);
      expect(quiet.text()).toBe('');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses unknown options and keeps the version in step with package.json', async () => {
    expect(() => createProgram({ stdot: process.stdout } as never)).toThrow(
      expect.objectContaining({ code: 'WRIT_OPTIONS_INVALID', message: expect.stringContaining('stdot') }),
    );
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(VERSION).toBe(pkg.version);
  });
});

function event(n: number): AuditEvent {
  return {
    v: 1,
    id: `evt-${n}`,
    time: new Date(1_790_000_000_000 + n).toISOString(),
    service: 'bulk',
    taskId: `task-${Math.floor(n / 10)}`,
    correlationId: 'bulk',
    requester: null,
    chain: [{ kind: 'agent', id: 'spiffe://writ.test/agent/bulk', name: 'bulk', assurance: 'verified' }],
    autonomous: true,
    kind: 'task-end',
    status: 'ok',
    durationMs: n % 50,
  };
}
