import { createProgram } from './program.js';

// The `writ` executable: run one command line and leave the exit code to Node (never process.exit, so
// pending output is flushed).
process.exitCode = await createProgram().run(process.argv.slice(2));
