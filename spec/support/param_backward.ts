/**
 * The check for a parameter-only backward pass (convBackwardFirstLayer): it returns exactly dw and db of the full
 * backward pass, bit for bit, no dx, and leaves only those two tensors behind.
 */
import * as tf from '@tensorflow/tfjs-core';

type Grads = { dw: tf.Tensor; db: tf.Tensor };

/** full: the full backward pass's result. paramOnly: runs the parameter-only one. Disposes what it creates. */
export function expectSameParamGrads(full: Grads & { dx: tf.Tensor }, paramOnly: () => Grads): void {
  const before = tf.memory().numTensors;
  const params = paramOnly();
  expect(Object.keys(params).sort()).toEqual(['db', 'dw']);
  expect(tf.memory().numTensors - before).toBe(2);
  expect(Array.from(params.dw.dataSync())).toEqual(Array.from(full.dw.dataSync()));
  expect(Array.from(params.db.dataSync())).toEqual(Array.from(full.db.dataSync()));
  tf.dispose([params.dw, params.db]);
}
