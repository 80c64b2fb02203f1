export {
  consistencyProof,
  createFrontier,
  EMPTY_ROOT,
  type FrontierState,
  inclusionProof,
  leafHash,
  type MerkleFrontier,
  nodeHash,
  rootOf,
  verifyConsistency,
  verifyInclusion,
} from './merkle.js';
