export { createFrontier, type FrontierState, type MerkleFrontier } from './frontier.js';
export { EMPTY_ROOT, leafHash, nodeHash, rootOf } from './hashing.js';
export { consistencyProof, inclusionProof, verifyConsistency, verifyInclusion } from './proofs.js';
