// One investigation over two services (docs/guides/investigating.md), runnable offline:
// `npm run start -w @writ/example-two-services`. A real OpenID Provider (oidc-provider, the one the
// repository's OIDC tests use) on 127.0.0.1 signs alice and maria in; the desk runs here, the orders
// MCP server in a child process; then the command that answers "who authorized this?" from both logs.
import { join } from 'node:path';
import {
  CLIENTS,
  loginWithAuthorizationCode,
  startOp,
} from '../../../packages/identity/src/oidc/__support__/op.ts';
import { runTwoServices } from './support-desk.ts';

const op = await startOp();
try {
  const alice = await loginWithAuthorizationCode(op, { client: CLIENTS.webapp, accountId: 'alice' });
  const run = await runTwoServices({
    dir: join(process.cwd(), '.writ', 'two-services'),
    idp: { issuer: op.issuer, audience: CLIENTS.webapp.id },
    aliceIdToken: alice.idToken,
    approverToken: async (nonce) =>
      (await loginWithAuthorizationCode(op, { client: CLIENTS.webapp, accountId: 'maria', nonce })).idToken,
  });
  console.log(run.lines.join('\n'));
  console.log(`\nWho authorized what, from the two logs alone:\n
  writ explain ${run.desk.log} ${run.orders.log} --task ${run.taskId} \\
    --key ${run.desk.log}=${run.desk.verifierKey} \\
    --key ${run.orders.log}=${run.orders.verifierKey}`);
} finally {
  await op.close();
}
