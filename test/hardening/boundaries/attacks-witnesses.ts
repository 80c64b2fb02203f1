// The witness attacks of the catalogue (issue 21 item 5: witnessed checkpoints), kept beside attacks.ts,
// which spreads them into ATTACKS.
import type { Attack } from './attacks.js';

export const WITNESS_ATTACKS = {
  'witness-rollback-refused': {
    family: 'witnesses',
    issue: 21,
    item: 5,
    promise:
      'a witnessed log cut back and re-signed by the holder of its key is refused by the witness (400/409), and writ verify with a witness requirement fails on it; so does republishing an older cosigned checkpoint over a log sealed since',
  },
  'witness-fork-refused': {
    family: 'witnesses',
    issue: 21,
    item: 5,
    promise:
      'another log of the same origin and key is refused by the witness: 409 at the size it cosigned, 422 for a larger tree whose proof does not extend it; the forked writer reports the refusal and its log fails writ verify --witness',
  },
  'witness-threshold-required': {
    family: 'witnesses',
    issue: 21,
    item: 5,
    promise:
      'writ verify --witness <vkey> --witness-threshold k fails (exit 1, "not witnessed") on a log whose checkpoint carries fewer than k valid cosignatures (none, or a cosignature by a key not given) and passes, anchored, on one that carries them',
  },
  'witness-state-survives-restart': {
    family: 'witnesses',
    issue: 21,
    item: 5,
    promise:
      'a witness restarted (writ witness serve stopped and started on the same state directory) still holds the size it cosigned: it keeps refusing the rollback and goes on cosigning the honest log',
  },
} as const satisfies Record<string, Attack>;
