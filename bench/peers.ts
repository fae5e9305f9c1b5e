/** The environment bench-compare gives the Python peers (bench/README.md). */

/**
 * Variables removed from the peers' environment only: a forced OpenBLAS core type or cache size can pin numpy to a
 * slower GEMM kernel than the one OpenBLAS detects for itself, and the fair peer is numpy at its own best.
 */
export const PEER_UNSET_ENV = ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'] as const;

/** The environment for a peer's command: this process's, less PEER_UNSET_ENV. */
export function peerEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const name of PEER_UNSET_ENV) delete out[name];
  return out;
}
