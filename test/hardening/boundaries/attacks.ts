// The catalogue of trust-boundary attacks (issue 18): each names the promise it attacks, the family it
// belongs to and the issue item; every test under this directory is written as one of these attacks
// (`attack(id, …)`), and tally.test.ts prints the count per family and checks each entry is exercised.

import { CODING_ATTACKS } from './attacks-coding.js';
import { FLEET_EVIDENCE_ATTACKS } from './attacks-fleet.js';
import { RECEIPT_ATTACKS } from './attacks-receipts.js';
import { WITNESS_ATTACKS } from './attacks-witnesses.js';

export type Family =
  | 'tasks and users'
  | 'services (MCP)'
  | 'approvals'
  | 'evidence (verify, explain)'
  | 'terminal and report output'
  | 'tools and arguments'
  | 'files on disk'
  | 'fleet (shared stores)'
  | 'fleet revocation and leases'
  | 'witnesses'
  | 'coding agents (shell and files)'
  | 'fleet evidence';

export interface Attack {
  readonly family: Family;
  /** The issue (18 when absent). */
  readonly issue?: number;
  /** Item of that issue. */
  readonly item: number;
  /** The promise attacked. */
  readonly promise: string;
}

export const ATTACKS = {
  'multilog-join': {
    family: 'evidence (verify, explain)',
    issue: 21,
    item: 1,
    promise:
      "one `writ explain` over a caller's and a callee's logs, each verified with its own pinned key, shows the chain across both services and links the caller's call to the callee's task (log and index of each)",
  },
  'multilog-forged-callee-task': {
    family: 'evidence (verify, explain)',
    issue: 21,
    item: 1,
    promise:
      'a callee log holding a task that cites a credential no caller log issued is a finding naming that log and record, never a link',
  },
  'multilog-call-without-callee': {
    family: 'evidence (verify, explain)',
    issue: 21,
    item: 1,
    promise:
      "a caller's call with a credential for a service whose log is in the set, and no task there, is a finding at the caller's record",
  },
  'multilog-flipped-byte': {
    family: 'evidence (verify, explain)',
    issue: 21,
    item: 1,
    promise:
      'a byte flipped in either log of an investigation fails that log, named, and nothing from it is presented as verified',
  },
  'report-multilog-chain': {
    family: 'terminal and report output',
    issue: 21,
    item: 6,
    promise:
      "one `writ report` over a caller's and a callee's logs, each verified with its own pinned key, draws the chain across both services with every node labelled by its service and log, and shows each link with both (log, record)",
  },
  'report-multilog-forged-highlighted': {
    family: 'terminal and report output',
    issue: 21,
    item: 6,
    promise:
      'in the report over many logs, a callee task citing a credential no caller issued is listed as a finding at its (log, record) and marked where it is drawn, in words, never as a link',
  },
  'report-multilog-flipped-byte': {
    family: 'terminal and report output',
    issue: 21,
    item: 6,
    promise:
      "in the report over many logs, a byte flipped in one log makes that service's panel say it does not verify (first bad record named), and nothing from it, nor any link to it, is shown as verified",
  },
  'report-multilog-hostile-text': {
    family: 'terminal and report output',
    issue: 21,
    item: 6,
    promise:
      'text from a log of the set (jti, issuer, service, task id, finding messages) reaches the report over many logs escaped, bidi controls shown as markers: it can neither run nor forge a panel, link or finding',
  },
  'inbound-carried-recorded': {
    family: 'evidence (verify, explain)',
    issue: 21,
    item: 2,
    promise:
      "a callee records what the caller's signed credential carried (audience, intent digest, the requester's identity provider and assurance, the caller's log and span), its requester says it came via that token, and explain over both logs shows it and joins on the caller's span",
  },
  'inbound-unsigned-claims': {
    family: 'evidence (verify, explain)',
    issue: 21,
    item: 2,
    promise:
      'baggage, `_meta` keys or headers cannot make a callee record a requester issuer, intent digest, caller log or span the signed credential does not carry, nor a stronger assurance than the caller recorded',
  },
  'inbound-intent-digest-mismatch': {
    family: 'evidence (verify, explain)',
    issue: 21,
    item: 2,
    promise:
      "a credential whose intent digest (or caller span) differs from what the caller's log records for the call that was issued it is a finding at the callee's task-start in the joined explain",
  },
  'inbound-older-caller': {
    family: 'evidence (verify, explain)',
    issue: 21,
    item: 2,
    promise:
      'a credential from an older caller (none of the carried claims) is still accepted, and the callee record lists what it did not carry',
  },
  'ledger-cross-user': {
    family: 'tasks and users',
    item: 1,
    promise: 'a settled result is served only to the task and requester that ran it',
  },
  'ledger-cross-task-decision': {
    family: 'tasks and users',
    item: 1,
    promise: 'a decision made for one task never lets another task run',
  },
  'ledger-cross-user-approval': {
    family: 'approvals',
    item: 1,
    promise: 'an approval binds one call of one task of one requester: another user cannot use it',
  },
  'ai-sdk-numbered-call-ids': {
    family: 'tasks and users',
    item: 1,
    promise:
      'through the real AI SDK loop, two users whose provider numbers tool calls "0" get their own results',
  },
  'langgraph-shared-call-ids': {
    family: 'approvals',
    item: 1,
    promise:
      "through a real LangGraph loop, a second user's thread presenting the same tool call id is judged afresh and cannot use or displace the first user's pending approval",
  },
  'openai-agents-shared-call-ids': {
    family: 'approvals',
    item: 1,
    promise:
      "through the real OpenAI Agents run loop, a second user's run presenting the same tool call id is judged afresh and cannot take the approver named for the first user's call",
  },
  'mastra-shared-call-ids': {
    family: 'approvals',
    item: 1,
    promise:
      "through the real Mastra agent loop, a second user's run presenting the same tool call id is judged afresh, and resuming the first user's run cannot use that user's pending approval",
  },
  'replay-recorded-in-asking-task': {
    family: 'tasks and users',
    item: 1,
    promise: 'a replayed call is recorded in the task that asked for it',
  },
  'lazy-async-generator': {
    family: 'tools and arguments',
    item: 7,
    promise: "a tool's body runs inside the pipeline: recorded outcome, live credential, inside the span",
  },
  'lazy-readable-stream': {
    family: 'tools and arguments',
    item: 7,
    promise: 'a ReadableStream result is drained inside the pipeline and its error recorded',
  },
  'redact-tojson': {
    family: 'tools and arguments',
    item: 8,
    promise:
      'redaction applies to the canonical form that is recorded, whatever the object type (results too)',
  },
  'approver-claimed': {
    family: 'approvals',
    item: 2,
    promise: 'policy can require a verified approver; a claimed one is refused',
  },
  'args-mutated-during-approval': {
    family: 'approvals',
    item: 11,
    promise: 'the tool gets the exact arguments whose digest was approved',
  },
  'args-tojson-disguise': {
    family: 'tools and arguments',
    item: 11,
    promise: 'the recorded arguments are the arguments the tool gets',
  },
  'nested-task-widens': {
    family: 'tasks and users',
    item: 12,
    promise: 'scope only narrows: a task opened inside a delegation cannot widen it',
  },
  'refusal-over-limits': {
    family: 'tasks and users',
    item: 13,
    promise: 'every refusal is recorded, including options over the limits',
  },
  'continued-task-revokes-sibling': {
    family: 'services (MCP)',
    item: 10,
    promise:
      "a request's credentials live until that request ends; a decision never names a revoked credential",
  },
  'mcp-rogue-server-replay': {
    family: 'services (MCP)',
    item: 2,
    promise:
      'a token sent to one MCP server is refused by another: a rogue server replaying it (after the task, answering the approval itself) runs nothing',
  },
  'mcp-post-task-replay': {
    family: 'services (MCP)',
    item: 2,
    promise:
      "a server's own credential, replayed after its task ended, is refused where the revocation is known",
  },
  'mcp-elicitation-claimed': {
    family: 'approvals',
    item: 2,
    promise:
      "an answer typed into the MCP client is recorded as claimed, never as the requester's verified approval; only an approver token bound to the call is verified",
  },
  'mcp-prompt-hides-args': {
    family: 'approvals',
    item: 3,
    promise:
      'the approval prompt shows the complete bound arguments with the binding hash, or Writ refuses to ask (typed, recorded)',
  },
  'mcp-unauthenticated-correlation': {
    family: 'services (MCP)',
    item: 16,
    promise:
      "an unauthenticated MCP call's correlation id (from the caller's _meta) is marked unverified on the server",
  },
  'correlation-unverified': {
    family: 'services (MCP)',
    item: 16,
    promise:
      "a correlation id an unauthenticated caller chose is marked as such, never passed off as the task's",
  },
  'explain-correlation-unverified': {
    family: 'services (MCP)',
    item: 16,
    promise:
      'explain --correlation lists only tasks that carry the id on their own authority, unless asked for the ones whose id came from unsigned baggage',
  },
  'args-size': {
    family: 'tools and arguments',
    item: 16,
    promise: 'arguments over a configurable size are refused before they are canonicalised, and recorded',
  },
  'captured-proto-member': {
    family: 'tools and arguments',
    item: 16,
    promise: 'captured arguments are the digested arguments, "__proto__" members included',
  },
  'span-status-echoes-args': {
    family: 'tools and arguments',
    item: 16,
    promise: "a tool's own error message stays out of the span unless opted in",
  },
  'verify-cut-at-seal': {
    family: 'evidence (verify, explain)',
    item: 4,
    promise:
      'a log cut back to an earlier seal (its published checkpoint deleted or rolled back) is never "verified and anchored"; a checkpoint held elsewhere names the first record removed',
  },
  'verify-forged-tail': {
    family: 'evidence (verify, explain)',
    item: 4,
    promise:
      'a record appended after the last checkpoint (chained, no key needed) is never proven: verify does not exit 0, explain marks it',
  },
  'verify-resigned-unpinned': {
    family: 'evidence (verify, explain)',
    item: 5,
    promise:
      'without a pinned key a log is never called verified (verify, report): a log re-signed with another key passes only the checks that take the key from the log',
  },
  'explain-altered-record': {
    family: 'evidence (verify, explain)',
    item: 9,
    promise:
      'explain verifies first: a changed record is shown marked as not verifying, never as fact with exit 0',
  },
  'explain-unreadable-record': {
    family: 'evidence (verify, explain)',
    item: 9,
    promise: 'a record that no longer parses is named, never silently dropped',
  },
  'report-altered-record': {
    family: 'evidence (verify, explain)',
    item: 9,
    promise: 'the report marks each call whose records do not verify, in its table and its graph',
  },
  'report-bidi-override': {
    family: 'terminal and report output',
    item: 6,
    promise:
      'bidi overrides, embeddings and isolates in log text (intent, call id, requester, reasons) cannot reorder what the HTML report displays: each is shown as a visible marker',
  },
  'checkpoint-temp-symlink': {
    family: 'files on disk',
    item: 14,
    promise:
      'the checkpoint publisher creates its temporary file exclusively and never writes through a link',
  },
  'audit-dir-world-writable': {
    family: 'files on disk',
    item: 14,
    promise: 'a log directory other users can write to is refused, typed, before anything is written',
  },
  'verify-special-files': {
    family: 'files on disk',
    item: 15,
    promise: 'verification reads regular files only: a link to /dev/zero is a finding, not an endless read',
  },
  'verify-endless-line': {
    family: 'files on disk',
    item: 15,
    promise: 'a line longer than the bound on a record is a finding at its index, not an allocation',
  },
  // issue 20 (fleet mode): promises that hold across processes sharing one PostgreSQL
  'fleet-approval-across-processes': {
    family: 'fleet (shared stores)',
    issue: 20,
    item: 2,
    promise: 'an approval asked in one process and answered from another runs the call once, on any process',
  },
  'fleet-concurrent-claims': {
    family: 'fleet (shared stores)',
    issue: 20,
    item: 1,
    promise: 'two processes running the same call at once: exactly one execution',
  },
  'fleet-answer-after-expiry': {
    family: 'fleet (shared stores)',
    issue: 20,
    item: 2,
    promise: 'an answer after the approval expired is refused from any process',
  },
  'fleet-langgraph-resume-other-user': {
    family: 'fleet (shared stores)',
    issue: 20,
    item: 2,
    promise:
      "through a real LangGraph loop on two replicas, another user resuming a paused thread in his own task is judged afresh and his answer refused: never run under the first user's approval",
  },
  'fleet-langgraph-node-rerun': {
    family: 'fleet (shared stores)',
    issue: 20,
    item: 1,
    promise:
      'a LangGraph node re-run on another replica after the call ran (its replica killed before the checkpoint was stored) never executes it a second time',
  },
  'fleet-openai-agents-resume-other-user': {
    family: 'fleet (shared stores)',
    issue: 20,
    item: 2,
    promise:
      "through the real OpenAI Agents loop on two replicas, another user resuming a saved RunState in his own task cannot use the first user's approval: judged afresh, never run",
  },
  'fleet-mcp-suspend-across-replicas': {
    family: 'fleet (shared stores)',
    issue: 20,
    item: 2,
    promise:
      'an MCP call needing approval is refused at once with the protocol pause (-32042 URL elicitation or a tool error with the binding hash), answered from anywhere, and its retry runs once on any replica',
  },
  'fleet-mcp-rejected-or-late': {
    family: 'fleet (shared stores)',
    issue: 20,
    item: 2,
    promise: 'an MCP approval declined, or answered after it expired, never runs the call on any replica',
  },
  'fleet-mastra-suspend-across-processes': {
    family: 'fleet (shared stores)',
    issue: 20,
    item: 2,
    promise:
      'a Mastra run suspended for a Writ approval in one process resumes in another: approved runs once there, declined never runs',
  },
  'fleet-ledger-row-edited': {
    family: 'fleet (shared stores)',
    issue: 20,
    item: 1,
    promise: 'a call ledger row edited in the database is refused (typed, recorded), never executed',
  },
  'fleet-ai-sdk-concurrent-resume': {
    family: 'fleet (shared stores)',
    issue: 20,
    item: 2,
    promise:
      'an AI SDK approval answered in messages replayed at two instances at once: the tool runs exactly once',
  },
  'fleet-ai-sdk-approval-other-user': {
    family: 'fleet (shared stores)',
    issue: 20,
    item: 2,
    promise:
      "another user replaying a user's approved AI SDK messages on another instance is judged afresh and refused: never run under the first user's approval",
  },
  // issue 20 item 2: answering approvals from the CLI, verified approvers
  'approvals-cli-suspend-resume-once': {
    family: 'fleet (shared stores)',
    issue: 20,
    item: 2,
    promise:
      'an approval answered with writ approvals approve while a suspended call waits: the call resumed on two processes at once runs once, and its record names the verified approver, issuer and token id',
  },
  'approvals-cli-token-refused': {
    family: 'fleet (shared stores)',
    issue: 20,
    item: 2,
    promise:
      'an approver ID token for another audience, expired, or signed by a key the issuer does not publish is refused by writ approvals approve: nothing is answered',
  },
  'approvals-cli-claim-not-verified': {
    family: 'fleet (shared stores)',
    issue: 20,
    item: 2,
    promise: 'an approver named with --approver is recorded as claimed, never as verified',
  },
  'approvals-cli-answer-twice': {
    family: 'fleet (shared stores)',
    issue: 20,
    item: 2,
    promise:
      'a binding hash approved twice from the CLI: the second answer is refused and the first stands; an expired approval cannot be answered',
  },
  'revocation-forged-notify': {
    family: 'fleet revocation and leases',
    issue: 20,
    item: 3,
    promise:
      'a NOTIFY forged by any database role neither revokes nor makes a replica skip a revocation: rows are read from the table by sequence number',
  },
  'revocation-forged-sequence': {
    family: 'fleet revocation and leases',
    issue: 20,
    item: 3,
    promise:
      'a row inserted with a chosen sequence number is renumbered by the table: no replica is made to skip the revocations that follow',
  },
  'revocation-stale-replica': {
    family: 'fleet revocation and leases',
    issue: 20,
    item: 3,
    promise:
      'a replica whose revocation copy is stale (its LISTEN session killed) never accepts a token as "not revoked": verifyTaskToken refuses, typed, until caught up',
  },
  'lease-row-injected-records': {
    family: 'fleet revocation and leases',
    issue: 20,
    item: 4,
    promise:
      'a lease row edited to carry another requester shape or extra fields writes nothing into the audit log; the credentials it lists are still revoked, and the row is reported and left claimed',
  },
  'fleet-switch-revocation-every-replica': {
    family: 'fleet revocation and leases',
    issue: 20,
    item: 7,
    promise:
      'with store: postgres(url) alone, a credential revoked by the replica that ran its task is refused by every other replica',
  },
  'fleet-switch-crashed-replica-reaped': {
    family: 'fleet revocation and leases',
    issue: 20,
    item: 7,
    promise:
      "with store: postgres(url) alone, a replica killed mid-task has its credentials revoked and its task recorded abandoned by another replica's reaper",
  },
  'lease-row-token-moved': {
    family: 'fleet revocation and leases',
    issue: 20,
    item: 4,
    promise:
      'a lease row never holds a usable token, and a sealed token moved onto another credential is never sent anywhere',
  },
  'lease-row-redirects-revocation': {
    family: 'fleet revocation and leases',
    issue: 20,
    item: 4,
    promise:
      'a lease row edited to name another RFC 7009 endpoint never receives the token or the client secret',
  },
  // issue 19 item 8: per-tool hints that name no tool
  'ai-sdk-hint-typo': {
    family: 'tools and arguments',
    issue: 19,
    item: 8,
    promise:
      'a per-tool hint naming no tool of the AI SDK ToolSet (refund_ordr) is refused when wrapping: the real tool never runs on default facts, without its approval',
  },
  'langchain-hint-typo': {
    family: 'tools and arguments',
    issue: 19,
    item: 8,
    promise:
      "a per-tool hint naming no LangChain tool is refused: by writTools when wrapping, by writMiddleware before the agent's model is asked",
  },
  'openai-agents-hint-typo': {
    family: 'tools and arguments',
    issue: 19,
    item: 8,
    promise:
      "a per-tool hint naming no OpenAI Agents tool is refused: by writTools when wrapping, and for an agent's MCP tools when they are listed, before the model is asked",
  },
  'google-adk-shared-call-ids': {
    family: 'approvals',
    issue: 22,
    item: 3,
    promise:
      "through ADK's real runner: bob's run presenting alice's function call id gets its own decision; bob answering alice's pending confirmation, in his task or under alice's task id, runs nothing and records no approval",
  },
  'strands-shared-call-ids': {
    family: 'approvals',
    issue: 22,
    item: 3,
    promise:
      "through Strands' real agent loop: bob's run presenting alice's tool use id gets its own decision; bob answering alice's pending interrupt, in his task or under alice's task id, runs nothing and records no approval",
  },
  'genkit-shared-call-ids': {
    family: 'approvals',
    issue: 22,
    item: 3,
    promise:
      "through Genkit's real generate loop: bob's run presenting alice's tool request ref gets its own decision; bob restarting alice's interrupted call, in his task or under alice's task id, runs nothing and records no approval",
  },
  'mastra-hint-typo': {
    family: 'tools and arguments',
    issue: 19,
    item: 8,
    promise:
      'a per-tool hint naming no Mastra tool is refused when wrapping: the real tool never runs on default facts',
  },
  'mcp-server-hint-typo': {
    family: 'services (MCP)',
    issue: 19,
    item: 8,
    promise:
      'an MCP server whose hints name a tool it does not have refuses its calls (recorded) instead of running a tool on default facts',
  },
  'cli-forged-explain-line': {
    family: 'terminal and report output',
    item: 6,
    promise:
      'text from the log (intent, tool-call id, requester, approver, policy id, reason) never forges a line or a colour in writ explain',
  },
  'cli-forged-list-line': {
    family: 'terminal and report output',
    item: 6,
    promise: 'writ tasks and writ calls print one line per task and per call, whatever the log holds',
  },
  'cli-verify-forged-line': {
    family: 'terminal and report output',
    item: 6,
    promise: "text from the log's files never forges a verdict line in writ verify",
  },
  'cli-policy-id-escape': {
    family: 'terminal and report output',
    item: 6,
    promise: 'policy ids and policy file names are escaped by writ policy validate and writ policy test',
  },
  'cli-keys-filename-escape': {
    family: 'terminal and report output',
    item: 6,
    promise: 'key file names are escaped by writ keys show',
  },
  'claude-readonly-command': {
    family: 'tools and arguments',
    issue: 22,
    item: 1,
    promise:
      'a Bash command Claude Code deems read-only (it runs it without calling canUseTool) is still decided by Writ, refused when policy says so, and recorded',
  },
  'claude-tool-use-id-reuse': {
    family: 'tools and arguments',
    issue: 22,
    item: 1,
    promise:
      "a Claude Code tool_use id presented again for another tool or other arguments is decided afresh, never under the earlier call's decision",
  },
  'claude-hook-failure': {
    family: 'tools and arguments',
    issue: 22,
    item: 1,
    promise:
      "a failure inside Writ's PreToolUse hook refuses the call (Claude Code's default for a failing hook is to let the call go ahead)",
  },
  'claude-approval-input-swap': {
    family: 'approvals',
    issue: 22,
    item: 1,
    promise:
      'a canUseTool approval that rewrites the tool input runs the call with the arguments the approval was asked and recorded for',
  },
  // issue 23 item 2: a tool server's verify-once cache of inbound task tokens
  'token-cache-revoked': {
    family: 'services (MCP)',
    issue: 23,
    item: 2,
    promise:
      "a caller token revoked after a tool server has verified (and cached) it is refused on the server's next request: revocation is checked per request",
  },
  'token-cache-expired': {
    family: 'services (MCP)',
    issue: 23,
    item: 2,
    promise: 'a cached caller token is refused once it expires, exactly as an uncached one is',
  },
  'token-cache-forged-bytes': {
    family: 'services (MCP)',
    issue: 23,
    item: 2,
    promise:
      'a token differing from a cached one in any byte (a forged signature, swapped claims) is verified in full and refused; a refused token is never cached',
  },
  // issue 23 item 2: one sync per strict request (a task-start covered by the next strict record)
  'start-sync-call': {
    family: 'tasks and users',
    issue: 23,
    item: 2,
    promise:
      "under strict durability, a tool that ran has its task's start record and its decision record durable, though the start record no longer waits for a sync of its own (the decision's covers it)",
  },
  'start-sync-no-tool': {
    family: 'tasks and users',
    issue: 23,
    item: 2,
    promise:
      'under strict durability, a task that runs no tool has its start record durable before it returns and before a hop credential for another service leaves the process',
  },
  // issue 23 round 3: a task's start record is written with its next record (one write), not awaited alone
  'start-written-with-next': {
    family: 'tasks and users',
    issue: 23,
    item: 2,
    promise:
      "a task whose start record was not written (its write failed, and the log reopened for the task's later records) runs no tool and does not return its result, under strict and batched durability",
  },
  'deferred-record-mutated-after': {
    family: 'evidence (verify, explain)',
    issue: 23,
    item: 5,
    promise:
      'with async durability a record is fixed when it is appended: a tool mutating its arguments or result, or an engine mutating its decision, after that changes nothing in the log',
  },
  'deferred-record-hostile-value': {
    family: 'evidence (verify, explain)',
    issue: 23,
    item: 5,
    promise:
      "a record that cannot be encoded (a hostile getter or toJSON) never vanishes silently from a deferred batch: it is refused on the caller's path before the tool runs, or recorded as first read",
  },
  // issue 23 item 5: decision records carry their task's shared evaluated context once, by digest after
  'shared-context-foreign': {
    family: 'evidence (verify, explain)',
    issue: 23,
    item: 5,
    promise:
      "a decision record made to refer to another task's shared evaluated context is named (`shared-context-foreign`) by `writ verify --deep`, `readVerifiedLog` and `writ explain`, and never shown with that task's context",
  },
  'shared-context-missing': {
    family: 'evidence (verify, explain)',
    issue: 23,
    item: 5,
    promise:
      'a decision record referring to a shared evaluated context no record of its task holds (made by hand, or the record that held it cut) is a named finding (`shared-context-missing`), never a silent gap',
  },
  'shared-context-swapped-value': {
    family: 'evidence (verify, explain)',
    issue: 23,
    item: 5,
    promise:
      "a decision record holding another task's shared evaluated context (value and digest copied) is named (`shared-context-mismatch`), and its task's references never resolve to it",
  },
  // issue 23 item 4: `run` reuses what `check` worked out only for the arguments `check` judged
  'check-run-args-mutated': {
    family: 'tools and arguments',
    issue: 23,
    item: 4,
    promise:
      'arguments changed (in the very object `check` judged) before `run` are decided afresh under the same tool call id, never run on the decision `check` made for the old ones',
  },
  'check-run-args-mutated-approval': {
    family: 'approvals',
    issue: 23,
    item: 4,
    promise:
      'an approval `check` asked for one set of arguments does not run the call once the object holding them was changed',
  },
  'check-run-args-swapped': {
    family: 'approvals',
    issue: 23,
    item: 4,
    promise:
      'other arguments presented to `run` under the tool call id `check` asked approval for are not approved by the answer to it',
  },
  'shared-subject-mutated': {
    family: 'evidence (verify, explain)',
    issue: 23,
    item: 5,
    promise:
      "the subject a task's calls share (built once per task) cannot be changed by an engine or middleware of one call: every later call is judged and recorded with the task's own actor",
  },
  ...WITNESS_ATTACKS,
  ...CODING_ATTACKS,
  ...FLEET_EVIDENCE_ATTACKS,
  ...RECEIPT_ATTACKS,
} as const satisfies Record<string, Attack>;

export type AttackId = keyof typeof ATTACKS;

/** A test title that names the attack (tally.test.ts finds them by `attack('<id>'`). */
export function attack(id: AttackId, what: string): string {
  const a: Attack = ATTACKS[id];
  return `[${a.issue ?? 18}.${a.item} ${id}] ${what}`;
}
