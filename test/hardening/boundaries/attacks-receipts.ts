// Issue 21 item 3, receipts both ways: the callee returns its decision receipt (and its refusal code)
// with the result; the caller records them in the call's outcome; the investigator checks the receipt
// against the callee's log. Kept apart from attacks.ts so each item's helper adds its own file.
import type { Attack } from './attacks.js';

export const RECEIPT_ATTACKS = {
  'receipts-mcp': {
    family: 'evidence (verify, explain)',
    issue: 21,
    item: 3,
    promise:
      "an MCP server returns the receipt of its decision record with the result; the caller's outcome record commits to it; explain over both logs finds that record, with that leaf hash, under the server's verified checkpoint",
  },
  'receipts-http': {
    family: 'evidence (verify, explain)',
    issue: 21,
    item: 3,
    promise:
      "an HTTP callee returns its receipt (Writ-Receipt) and refusal code (Writ-Refusal); writFetch records both in the caller's outcome; explain over both logs checks the receipt",
  },
  'receipts-refusal-code': {
    family: 'services (MCP)',
    issue: 21,
    item: 3,
    promise:
      "a callee's refusal (policy denied, credential refused) reaches the caller's outcome as that refusal with the callee's code, and explain prints it as the callee's",
  },
  'receipts-deleted-callee-record': {
    family: 'evidence (verify, explain)',
    issue: 21,
    item: 3,
    promise:
      "a callee record the caller holds a receipt for, deleted (or the callee log cut before it), is a finding at the caller's outcome record naming the callee's log and index",
  },
  'receipts-wrong-record': {
    family: 'evidence (verify, explain)',
    issue: 21,
    item: 3,
    promise:
      "a callee returning a receipt for another call's record (or a leaf hash its log does not hold) is a finding at the caller's outcome record",
  },
  'receipts-forged-refusal': {
    family: 'services (MCP)',
    issue: 21,
    item: 3,
    promise:
      "a rogue server's forged refusal (or malformed receipt) is recorded only as what the callee reported: the caller's decision stays its own, the outcome is never Writ's refusal",
  },
} as const satisfies Record<string, Attack>;
