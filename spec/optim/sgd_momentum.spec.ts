import * as tf from '@tensorflow/tfjs-core';
import { getUpdateRule, sgdMomentum } from '../../src/optim';
import { useBackend } from '../support/backend';
import { expectClose, grid, linspace } from './notebook';

beforeAll(async () => {
  await useBackend();
});

/** The notebook's printed values for the check below (config = {'learning_rate': 1e-3, 'velocity': v}). */
const NOTEBOOK_NEXT_W = [
  0.1406, 0.20738947, 0.27417895, 0.34096842, 0.40775789, 0.47454737, 0.54133684, 0.60812632, 0.67491579, 0.74170526,
  0.80849474, 0.87528421, 0.94207368, 1.00886316, 1.07565263, 1.14244211, 1.20923158, 1.27602105, 1.34281053, 1.4096,
];
const NOTEBOOK_VELOCITY = [
  0.5406, 0.55475789, 0.56891579, 0.58307368, 0.59723158, 0.61138947, 0.62554737, 0.63970526, 0.65386316, 0.66802105,
  0.68217895, 0.69633684, 0.71049474, 0.72465263, 0.73881053, 0.75296842, 0.76712632, 0.78128421, 0.79544211, 0.8096,
];

/** The update in float64, written out per element. */
function reference(w: Float64Array, dw: Float64Array, v: Float64Array, lr: number, mu: number) {
  const nextV = new Float64Array(w.length);
  const nextW = new Float64Array(w.length);
  for (let i = 0; i < w.length; i++) {
    nextV[i] = mu * v[i] - lr * dw[i];
    nextW[i] = w[i] + nextV[i];
  }
  return { nextW, nextV };
}

describe('sgd_momentum', () => {
  it("matches the notebook's check", () => {
    const w = grid(-0.4, 0.6);
    const dw = grid(-0.6, 0.4);
    const v = grid(0.6, 0.9);
    const before = tf.memory().numTensors;
    const { next, config } = sgdMomentum(w, dw, { learningRate: 1e-3, velocity: v });
    const ref = reference(linspace(-0.4, 0.6), linspace(-0.6, 0.4), linspace(0.6, 0.9), 1e-3, 0.9);
    expectClose('next_w vs float64', next, ref.nextW);
    expectClose('velocity vs float64', config.velocity, ref.nextV);
    expectClose('next_w vs notebook', next, NOTEBOOK_NEXT_W);
    expectClose('velocity vs notebook', config.velocity, NOTEBOOK_VELOCITY);
    expect(config.momentum).toBe(0.9);
    expect(config.velocity).not.toBe(v);
    expect(v.isDisposed).toBe(false);
    tf.dispose([next, config.velocity]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([w, dw, v]);
  });

  it('starts from a zero velocity, so two steps compound as the formula says', () => {
    const w = grid(-0.4, 0.6);
    const dw = grid(-0.6, 0.4);
    const s1 = sgdMomentum(w, dw);
    const s2 = sgdMomentum(s1.next, dw, s1.config);
    const r1 = reference(linspace(-0.4, 0.6), linspace(-0.6, 0.4), new Float64Array(20), 1e-2, 0.9);
    const r2 = reference(r1.nextW, linspace(-0.6, 0.4), r1.nextV, 1e-2, 0.9);
    expectClose('second step next_w', s2.next, r2.nextW);
    expectClose('second step velocity', s2.config.velocity, r2.nextV);
    tf.dispose([w, dw, s1.next, s1.config.velocity, s2.next, s2.config.velocity]);
  });

  it('refuses a velocity of the wrong shape', () => {
    const w = tf.zeros([4, 5]);
    const v = tf.zeros([20]);
    expect(() => sgdMomentum(w, w, { velocity: v })).toThrow('sgd_momentum: config.velocity [20] and w [4,5] must have the same shape');
    tf.dispose([w, v]);
  });

  it("is registered under the course's name", () => {
    expect(getUpdateRule('sgd_momentum')).toBe(sgdMomentum as unknown);
  });
});
