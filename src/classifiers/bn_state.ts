/**
 * A model's batchnorm running statistics as checkpoint state, for every model that numbers one batchnorm layer per
 * weight layer (FullyConnectedNet, ThreeLayerConvNet, ConvNet, ResNet): runningMean{layer} and runningVar{layer},
 * layer = index in bnParams + 1, each [size] of params.gamma{layer}.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BnParam } from '../layers/batchnorm';

/** The running statistics that exist so far (a training pass makes them), by name. bnParams may have holes. */
export function runningStatistics(bnParams: readonly (BnParam | undefined)[]): Record<string, tf.Tensor> {
  const s: Record<string, tf.Tensor> = {};
  bnParams.forEach((bnParam, i) => {
    if (bnParam?.runningMean) s[`runningMean${i + 1}`] = bnParam.runningMean;
    if (bnParam?.runningVar) s[`runningVar${i + 1}`] = bnParam.runningVar;
  });
  return s;
}

/**
 * Puts runningStatistics() output back, taking ownership of the tensors. Every name must be the running mean or
 * variance of a batchnorm layer of the model (bnParams[layer - 1] exists), each a float32 [size] with size that of
 * params.gamma{layer}, and a layer's mean and variance come together. Anything else is refused before anything is
 * loaded, with one line naming the entry (fn names the model); the tensors then stay the caller's.
 */
export function loadRunningStatistics(
  fn: string,
  bnParams: readonly (BnParam | undefined)[],
  params: Record<string, tf.Tensor>,
  state: Record<string, tf.Tensor>,
): void {
  const entries = Object.entries(state).map(([name, t]) => {
    const m = /^running(Mean|Var)([1-9]\d*)$/.exec(name);
    const layer = m ? Number(m[2]) : 0;
    const bnParam = m ? bnParams[layer - 1] : undefined;
    if (!m || !bnParam) {
      const layers = bnParams.flatMap((p, i) => (p ? [i + 1] : []));
      throw new Error(
        `${fn}: '${name}' is not the running statistic of a batchnorm layer of this net (its batchnorm layers: ` +
          `${layers.length > 0 ? layers.join(', ') : 'none'}; names are runningMean{layer} and runningVar{layer})`,
      );
    }
    const size = params[`gamma${layer}`].shape[0];
    if (!(t instanceof tf.Tensor) || t.rank !== 1 || t.shape[0] !== size || t.dtype !== 'float32') {
      const got = t instanceof tf.Tensor ? `${t.dtype} shape [${t.shape}]` : typeof t;
      throw new Error(`${fn}: '${name}' must be float32 [${size}], got ${got}`);
    }
    return { name, layer, bnParam, key: m[1] === 'Mean' ? ('runningMean' as const) : ('runningVar' as const), t: t as tf.Tensor1D };
  });
  for (const { name, layer } of entries) {
    const partner = name.startsWith('runningMean') ? `runningVar${layer}` : `runningMean${layer}`;
    if (!(partner in state)) throw new Error(`${fn}: '${name}' comes without '${partner}': a layer's running mean and variance load together`);
  }
  for (const { bnParam, key, t } of entries) {
    if (bnParam[key] !== t) bnParam[key]?.dispose();
    bnParam[key] = t;
  }
}

/** Frees the running statistics and forgets them. */
export function disposeRunningStatistics(bnParams: readonly (BnParam | undefined)[]): void {
  for (const bnParam of bnParams) {
    if (!bnParam) continue;
    bnParam.runningMean?.dispose();
    bnParam.runningVar?.dispose();
    bnParam.runningMean = undefined;
    bnParam.runningVar = undefined;
  }
}
