/**
 * A model's batchnorm running statistics as checkpoint state, for the models that number one batchnorm layer per
 * weight layer (ConvNet, ResNet): runningMean{layer} and runningVar{layer}, layer = index in bnParams + 1.
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
 * Puts runningStatistics() output back, taking ownership of the tensors. Each must name a batchnorm layer of the
 * model and have its gamma's size ([size] of params.gamma{layer}); fn names the model in the errors.
 */
export function loadRunningStatistics(
  fn: string,
  bnParams: readonly (BnParam | undefined)[],
  params: Record<string, tf.Tensor>,
  state: Record<string, tf.Tensor>,
): void {
  for (const [name, t] of Object.entries(state)) {
    const m = /^running(Mean|Var)(\d+)$/.exec(name);
    const bnParam = m ? bnParams[Number(m[2]) - 1] : undefined;
    if (!m || !bnParam) throw new Error(`${fn}: '${name}' is not the running statistic of a batchnorm layer of this net`);
    const size = params[`gamma${m[2]}`].shape[0];
    if (t.rank !== 1 || t.shape[0] !== size) throw new Error(`${fn}: '${name}' must be [${size}], got shape [${t.shape}]`);
    const key = m[1] === 'Mean' ? 'runningMean' : 'runningVar';
    bnParam[key]?.dispose();
    bnParam[key] = t as tf.Tensor1D;
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
