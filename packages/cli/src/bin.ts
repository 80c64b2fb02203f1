import { stopWritingOnBrokenPipe } from './broken-pipe.js';
import { createProgram } from './program.js';

// The `writ` executable: run one command line and leave the exit code to Node (never process.exit, so
// pending output is flushed). A reader that goes away early (`| head -1`) stops the output, not the
// command: the exit code stays the command's.
stopWritingOnBrokenPipe(process.stdout);
stopWritingOnBrokenPipe(process.stderr);
process.exitCode = await createProgram().run(process.argv.slice(2));
