// Published test vectors of C2SP signed notes, shared by the tests of keys, notes and checkpoints.
import { WritError } from '@writ/core';
import { expect } from 'vitest';
import { parseVerifierKey } from '../verifier-key.js';

// From the C2SP signed-note spec, "Verifier keys" → "Example": a verifier key and a note it verifies.
export const SPEC_VKEY = 'example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k';
export const SPEC_NOTE =
  'This is an example message.\n\n' +
  '— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n';
// From the C2SP tlog-checkpoint spec: an example checkpoint note (its key is not published).
export const SPEC_CHECKPOINT =
  'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n' +
  '— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n';
// From the reference implementation golang.org/x/mod/sumdb/note (package documentation and
// note_test.go), used as data: a signer key with its verifier key, a second verifier key, and the
// signature lines both keys make over TEXT. Ed25519 is deterministic, so signing must reproduce them.
export const PETER_SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
export const PETER_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
export const ENOCH_VKEY = 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop';
export const TEXT =
  "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
export const PETER_SIG =
  '— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
export const ENOCH_SIG =
  '— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n';

export const peter = parseVerifierKey(PETER_VKEY);
export const enoch = parseVerifierKey(ENOCH_VKEY);

export function refusal(fn: () => unknown): WritError {
  try {
    fn();
  } catch (error) {
    if (WritError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a WritError');
}
export const reasonOf = (fn: () => unknown): unknown => {
  const error = refusal(fn);
  expect(error.code).toBe('WRIT_INPUT_INVALID');
  return error.details.reason;
};

/** Every truncation (substring) and every single-character change of `key`, less `key` itself. */
export function mangled(key: string): Set<string> {
  const out = new Set<string>();
  for (let i = 0; i <= key.length; i++) {
    for (let j = i + 1; j <= key.length; j++) out.add(key.slice(i, j));
  }
  for (let i = 0; i < key.length; i++) {
    out.add(key.slice(0, i) + String.fromCharCode(key.charCodeAt(i) + 1) + key.slice(i + 1));
  }
  out.delete(key);
  return out;
}
