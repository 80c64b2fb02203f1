import type { FleetBundleManifest } from '@writ/audit';
import type { Command } from 'commander';
import type { CommandContext } from '../command-context.js';
import { EXIT_CODES } from '../exit-codes.js';
import type { ActionFactory } from '../program.js';
import { safeTerminalText } from '../terminal-text.js';

/**
 * What `writ export --json` prints: the bundle's manifest and where it was written.
 *
 * @example
 * ```ts
 * const { out, members } = JSON.parse(stdout) as ExportJson;
 * console.log(`${members.length} members in ${out}`);
 * ```
 */
export type ExportJson = FleetBundleManifest & { readonly out: string };

interface ExportFlags {
  out: string;
  schema?: string;
  fleetLog?: string;
}

const POSTGRES_URL = /^postgres(ql)?:\/\//i;

/**
 * Registers `writ export <postgres-url> --out <dir> [--schema <name>] [--fleet-log <id>] [--json]`: a
 * fleet's PostgreSQL logs to a bundle directory (`exportFleet`), read in one read-only snapshot.
 *
 * @example
 * ```ts
 * registerExportCommand(program, action);
 * ```
 */
export function registerExportCommand(program: Command, action: ActionFactory): void {
  program
    .command('export')
    .description(
      "export a fleet's PostgreSQL logs to a bundle directory: the fleet log, every member it endorses (records byte-identical, in the file log format), a manifest; needs only SELECT",
    )
    .argument('<postgres-url>', 'the database (postgres://…); a read-only role is enough')
    .requiredOption('--out <dir>', 'the bundle directory to create (refused when not empty)')
    .option('--schema <name>', 'PostgreSQL schema holding the Writ audit tables (default writ_audit)')
    .option('--fleet-log <id>', 'the fleet log id (default fleet)')
    .option('--json', 'print the manifest as one JSON document on stdout')
    .addHelpText(
      'after',
      `
Verify the bundle offline with: writ verify --fleet <dir> --key <fleet verifier key>. explain, tasks and
calls read it too. Logs the fleet log never endorsed are left out (listed in the manifest's "left").
Exit codes: 0 written, 2 usage error, 3 the database cannot be read or the directory is not empty.`,
    )
    .action(action(runExport));
}

async function runExport(ctx: CommandContext, command: Command): Promise<number> {
  const source = command.args[0] as string;
  const flags = command.opts<ExportFlags>();
  if (!POSTGRES_URL.test(source))
    command.error('error: writ export reads a PostgreSQL database: give postgres://…', {
      exitCode: EXIT_CODES.usage,
      code: 'writ.usage',
    });
  const { exportFleet } = await import('@writ/audit');
  const out = ctx.path(flags.out);
  const manifest: FleetBundleManifest = await exportFleet({
    connectionString: source,
    out,
    ...(flags.schema === undefined ? {} : { schema: flags.schema }),
    ...(flags.fleetLog === undefined ? {} : { fleetLogId: flags.fleetLog }),
  });
  if (ctx.json) ctx.printJson({ out, ...manifest } satisfies ExportJson);
  else {
    const c = ctx.out;
    const records = manifest.members.reduce((n, m) => n + m.records, 0);
    ctx.print(
      `${c.green('✔')} exported the fleet log and ${manifest.members.length} member log(s) (${records} records) to ${safeTerminalText(out)}`,
    );
    for (const { logId, reason } of manifest.left)
      ctx.print(c.yellow(`  left out ${safeTerminalText(logId)}: ${safeTerminalText(reason)}`));
  }
  return EXIT_CODES.ok;
}
