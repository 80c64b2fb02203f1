// `npm run demo`: runs the quick-start scenario and prints each call's decision and the evidence kept.
import { runScenario } from './scenario.ts';

const ICON = {
  allow: '✔ allow   ',
  approval_required: '⏸ approved',
  deny: '✖ deny    ',
  refused: '✖ refused ',
} as const;

const { steps, events } = await runScenario();
console.log('Writ demo: alice asks support-bot to refund order 42\n');
for (const step of steps) {
  console.log(`  ${ICON[step.effect]}  ${step.agent.padEnd(12)} ${step.action}`);
  console.log(`               ${step.detail}`);
}
const counts = new Map<string, number>();
for (const event of events) counts.set(event.kind, (counts.get(event.kind) ?? 0) + 1);
console.log(
  `\nEvidence: ${events.length} audit records (${[...counts].map(([k, n]) => `${n} ${k}`).join(', ')}).`,
);
const first = events.find((e) => e.kind === 'task-start');
console.log(`Task ${first?.taskId}, correlation ${first?.correlationId}.`);
console.log('Tokens never reach the records: credentials appear by jti only, and arguments by digest.');
console.log('\nThis demo uses the in-memory stand-ins from @writ/core/testing. Signed identities, Cedar,');
console.log('the tamper-evident file log, `writ verify` and `writ explain` arrive with their packages.');
