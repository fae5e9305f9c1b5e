import * as tf from '@tensorflow/tfjs-core';
import { getUpdateRule, rmsprop } from '../../src/optim';
import { useBackend } from '../support/backend';
import { expectClose, grid, linspace } from './notebook';

beforeAll(async () => {
  await useBackend();
});

/** The notebook's printed values (config = {'learning_rate': 1e-2, 'cache': cache}). */
const NOTEBOOK_NEXT_W = [
  -0.39223849, -0.34037513, -0.28849239, -0.23659121, -0.18467247, -0.132737, -0.08078555, -0.02881884, 0.02316247, 0.07515774,
  0.12716641, 0.17918792, 0.23122175, 0.28326742, 0.33532447, 0.38739248, 0.43947102, 0.49155973, 0.54365823, 0.59576619,
];
const NOTEBOOK_CACHE = [
  0.5976, 0.6126277, 0.6277108, 0.64284931, 0.65804321, 0.67329252, 0.68859723, 0.70395734, 0.71937285, 0.73484377,
  0.75037008, 0.7659518, 0.78158892, 0.79728144, 0.81302936, 0.82883269, 0.84469141, 0.86060554, 0.87657507, 0.8926,
];

function reference(w: Float64Array, dw: Float64Array, cache: Float64Array, lr: number, decay: number, eps: number) {
  const nextCache = new Float64Array(w.length);
  const nextW = new Float64Array(w.length);
  for (let i = 0; i < w.length; i++) {
    nextCache[i] = decay * cache[i] + (1 - decay) * dw[i] * dw[i];
    nextW[i] = w[i] - (lr * dw[i]) / (Math.sqrt(nextCache[i]) + eps);
  }
  return { nextW, nextCache };
}

describe('rmsprop', () => {
  it("matches the notebook's check", () => {
    const w = grid(-0.4, 0.6);
    const dw = grid(-0.6, 0.4);
    const cache = grid(0.6, 0.9);
    const before = tf.memory().numTensors;
    const { next, config } = rmsprop(w, dw, { learningRate: 1e-2, cache });
    const ref = reference(linspace(-0.4, 0.6), linspace(-0.6, 0.4), linspace(0.6, 0.9), 1e-2, 0.99, 1e-8);
    expectClose('next_w vs float64', next, ref.nextW);
    expectClose('cache vs float64', config.cache, ref.nextCache);
    expectClose('next_w vs notebook', next, NOTEBOOK_NEXT_W);
    expectClose('cache vs notebook', config.cache, NOTEBOOK_CACHE);
    expect(config).toMatchObject({ learningRate: 1e-2, decayRate: 0.99, epsilon: 1e-8 });
    expect(cache.isDisposed).toBe(false);
    tf.dispose([next, config.cache]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([w, dw, cache]);
  });

  it('starts from a zero cache with the course defaults', () => {
    const w = grid(-0.4, 0.6);
    const dw = grid(-0.6, 0.4);
    const { next, config } = rmsprop(w, dw);
    const ref = reference(linspace(-0.4, 0.6), linspace(-0.6, 0.4), new Float64Array(20), 1e-2, 0.99, 1e-8);
    expectClose('first step next_w', next, ref.nextW);
    expectClose('first step cache', config.cache, ref.nextCache);
    tf.dispose([w, dw, next, config.cache]);
  });

  it("is registered under the course's name", () => {
    expect(getUpdateRule('rmsprop')).toBe(rmsprop as unknown);
  });
});
