/**
 * The check for a parameter-only backward pass (convBackwardFirstLayer and the first-layer sandwich backwards): it
 * returns exactly the parameter gradients of the full backward pass, bit for bit, no dx, and leaves only those
 * tensors behind.
 */
import * as tf from '@tensorflow/tfjs-core';

/** full: the full backward pass's result. paramOnly: runs the parameter-only one. Disposes what it creates. */
export function expectSameParamGrads(full: { dx: tf.Tensor } & Record<string, tf.Tensor>, paramOnly: () => Record<string, tf.Tensor>): void {
  const { dx: _dx, ...fullParams } = full;
  const names = Object.keys(fullParams).sort();
  const before = tf.memory().numTensors;
  const params = paramOnly();
  expect(Object.keys(params).sort()).toEqual(names);
  expect(tf.memory().numTensors - before).toBe(names.length);
  for (const name of names) expect(Array.from(params[name].dataSync())).toEqual(Array.from(fullParams[name].dataSync()));
  tf.dispose(Object.values(params));
}
