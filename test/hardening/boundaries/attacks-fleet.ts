// The fleet evidence attacks of the catalogue (issue 21 item 4: fleet log, export bundle, verify --fleet;
// item 5: witnesses on the PostgreSQL sink), kept beside attacks.ts, which spreads them into ATTACKS.
import type { Attack } from './attacks.js';

export const FLEET_EVIDENCE_ATTACKS = {
  'fleet-bundle-verifies-offline': {
    family: 'fleet evidence',
    issue: 21,
    item: 4,
    promise:
      'member logs written concurrently by several processes are sealed into the fleet log, exported with a read-only role, and `writ verify --fleet` passes on the bundle with the database stopped; explain/tasks read the bundle',
  },
  'fleet-member-row-tampered': {
    family: 'fleet evidence',
    issue: 21,
    item: 4,
    promise:
      'one member row changed in the database before export is named by writ verify --fleet (that log, that index)',
  },
  'fleet-member-truncated-after-seal': {
    family: 'fleet evidence',
    issue: 21,
    item: 4,
    promise:
      'a member cut back below a sealed checkpoint (its published checkpoint removed) fails writ verify --fleet: a sealed prefix was lost, at the index where the log ends',
  },
  'fleet-member-removed': {
    family: 'fleet evidence',
    issue: 21,
    item: 4,
    promise:
      'a member log removed from the bundle fails writ verify --fleet, naming the member the fleet log endorsed',
  },
  'fleet-unknown-log-in-bundle': {
    family: 'fleet evidence',
    issue: 21,
    item: 4,
    promise: 'a log in the bundle that the fleet log never endorsed fails writ verify --fleet, naming it',
  },
  'fleet-member-unendorsed-key': {
    family: 'fleet evidence',
    issue: 21,
    item: 4,
    promise:
      'a member log rewritten and re-signed with a key the fleet did not endorse (its log.json naming that key) fails writ verify --fleet at its first checkpoint',
  },
  'fleet-postgres-witnessed': {
    family: 'fleet evidence',
    issue: 21,
    item: 5,
    promise:
      'a PostgreSQL log with `witnesses` carries their cosignatures in its checkpoints row: writ verify --witness passes on postgres://…#id and on the exported member, and fails once they are stripped',
  },
} as const satisfies Record<string, Attack>;
