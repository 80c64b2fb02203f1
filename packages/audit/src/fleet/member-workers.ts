import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type MemberJob, type MemberVerdict, verifyMember } from './verify-member.js';

/**
 * Runs member verifications on `count` worker threads (the built `fleet-worker` entry beside this
 * module), each taking the next job when it is done. Where the worker script is not there (running from
 * source), or a worker fails to start, the jobs left run in the calling thread.
 *
 * @example
 * ```ts
 * const { verdicts, threads } = await runMemberJobs(jobs, 4);
 * ```
 * @internal
 */
export async function runMemberJobs(
  jobs: readonly MemberJob[],
  count: number,
): Promise<{ verdicts: MemberVerdict[]; threads: number }> {
  const script = workerScript();
  const verdicts: MemberVerdict[] = [];
  let next = 0;
  const take = () => (next < jobs.length ? jobs[next++] : undefined);
  if (script === undefined) {
    for (let job = take(); job !== undefined; job = take()) verdicts.push(await verifyMember(job));
    return { verdicts, threads: 0 };
  }
  let threads = 0;
  const runWorker = async () => {
    const first = take();
    if (first === undefined) return;
    let worker: Worker;
    try {
      worker = new Worker(script);
      threads++;
    } catch {
      verdicts.push(await verifyMember(first));
      for (let job = take(); job !== undefined; job = take()) verdicts.push(await verifyMember(job));
      return;
    }
    try {
      for (let job: MemberJob | undefined = first; job !== undefined; job = take()) {
        const current = job;
        verdicts.push(
          await new Promise<MemberVerdict>((resolve, reject) => {
            const onMessage = (v: MemberVerdict) => {
              worker.off('error', reject);
              resolve(v);
            };
            worker.once('message', onMessage);
            worker.once('error', (error) => {
              worker.off('message', onMessage);
              reject(error);
            });
            worker.postMessage(current);
          }).catch(() => verifyMember(current)),
        );
      }
    } finally {
      await worker.terminate();
    }
  };
  await Promise.all(Array.from({ length: count }, runWorker));
  return { verdicts, threads };
}

/** The built worker entry beside this module (ESM `.js` or CommonJS `.cjs`), if it is there. */
function workerScript(): string | undefined {
  const here = import.meta.url;
  if (!here.startsWith('file:')) return undefined;
  const name = here.endsWith('.cjs') ? './fleet-worker.cjs' : './fleet-worker.js';
  const path = fileURLToPath(new URL(name, here));
  return existsSync(path) ? path : undefined;
}
