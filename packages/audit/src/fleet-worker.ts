/**
 * The worker thread of `verifyFleet`: verifies the members it is sent, one at a time, and posts each
 * verdict back. Built as its own entry (`dist/fleet-worker.js`), loaded only by `runMemberJobs`.
 * @internal
 * @packageDocumentation
 */
import { parentPort } from 'node:worker_threads';
import { type MemberJob, verifyMember } from './fleet/verify-member.js';

parentPort?.on('message', (job: MemberJob) => {
  verifyMember(job).then(
    (verdict) => parentPort?.postMessage(verdict),
    (error: unknown) =>
      parentPort?.postMessage({
        logId: job.logId,
        ok: false,
        state: 'failed',
        records: 0,
        sealed: 0,
        firstBadIndex: 0,
        reason: error instanceof Error ? error.message : String(error),
        ms: 0,
      }),
  );
});
