import * as tf from '@tensorflow/tfjs-core';
import { adam, getUpdateRule } from '../../src/optim';
import { useBackend } from '../support/backend';
import { expectClose, grid, linspace } from './notebook';

beforeAll(async () => {
  await useBackend();
});

/** The notebook's printed values (config = {'learning_rate': 1e-2, 'm': m, 'v': v, 't': 5}). */
const NOTEBOOK_NEXT_W = [
  -0.40094747, -0.34836187, -0.29577703, -0.24319299, -0.19060977, -0.1380274, -0.08544591, -0.03286534, 0.01971428, 0.0722929,
  0.1248705, 0.17744702, 0.23002243, 0.28259667, 0.33516969, 0.38774145, 0.44031188, 0.49288093, 0.54544852, 0.59801459,
];
const NOTEBOOK_V = [
  0.69966, 0.68908382, 0.67851319, 0.66794809, 0.65738853, 0.64683452, 0.63628604, 0.6257431, 0.61520571, 0.60467385,
  0.59414753, 0.58362676, 0.57311152, 0.56260183, 0.55209767, 0.54159906, 0.53110598, 0.52061845, 0.51013645, 0.49966,
];
const NOTEBOOK_M = [
  0.48, 0.49947368, 0.51894737, 0.53842105, 0.55789474, 0.57736842, 0.59684211, 0.61631579, 0.63578947, 0.65526316,
  0.67473684, 0.69421053, 0.71368421, 0.73315789, 0.75263158, 0.77210526, 0.79157895, 0.81105263, 0.83052632, 0.85,
];

/** Adam in float64, per element; t is the step count before this step. */
function reference(w: Float64Array, dw: Float64Array, m: Float64Array, v: Float64Array, t: number, lr: number) {
  const [b1, b2, eps] = [0.9, 0.999, 1e-8];
  const step = t + 1;
  const nextW = new Float64Array(w.length);
  const nextM = new Float64Array(w.length);
  const nextV = new Float64Array(w.length);
  for (let i = 0; i < w.length; i++) {
    nextM[i] = b1 * m[i] + (1 - b1) * dw[i];
    nextV[i] = b2 * v[i] + (1 - b2) * dw[i] * dw[i];
    const mHat = nextM[i] / (1 - b1 ** step);
    const vHat = nextV[i] / (1 - b2 ** step);
    nextW[i] = w[i] - (lr * mHat) / (Math.sqrt(vHat) + eps);
  }
  return { nextW, nextM, nextV };
}

describe('adam', () => {
  it("matches the notebook's check (t = 5 becomes 6 before use)", () => {
    const w = grid(-0.4, 0.6);
    const dw = grid(-0.6, 0.4);
    const m = grid(0.6, 0.9);
    const v = grid(0.7, 0.5);
    const before = tf.memory().numTensors;
    const { next, config } = adam(w, dw, { learningRate: 1e-2, m, v, t: 5 });
    const ref = reference(linspace(-0.4, 0.6), linspace(-0.6, 0.4), linspace(0.6, 0.9), linspace(0.7, 0.5), 5, 1e-2);
    expectClose('next_w vs float64', next, ref.nextW);
    expectClose('m vs float64', config.m, ref.nextM);
    expectClose('v vs float64', config.v, ref.nextV);
    expectClose('next_w vs notebook', next, NOTEBOOK_NEXT_W);
    expectClose('m vs notebook', config.m, NOTEBOOK_M);
    expectClose('v vs notebook', config.v, NOTEBOOK_V);
    expect(config.t).toBe(6);
    expect(config).toMatchObject({ learningRate: 1e-2, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
    expect(m.isDisposed || v.isDisposed).toBe(false);
    tf.dispose([next, config.m, config.v]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([w, dw, m, v]);
  });

  it('divides by the bias correction on the first step: the step is about lr * sign(dw)', () => {
    // With zero moments and t = 1, mt = dw and vt = dw^2 exactly, so every weight moves by lr * dw / (|dw| + eps).
    // Multiplying by (1 - beta^t) instead, as ConvNetJS did, would move it by about 0.1 / sqrt(0.001) = 3.2 lr.
    const w = grid(-0.4, 0.6);
    const dw = grid(-0.6, 0.4);
    const { next, config } = adam(w, dw);
    expect(config.t).toBe(1);
    expect(config.learningRate).toBe(1e-3);
    const wv = linspace(-0.4, 0.6);
    const dwv = linspace(-0.6, 0.4);
    expectClose('first step', next, wv.map((wi, i) => wi - (1e-3 * dwv[i]) / (Math.abs(dwv[i]) + 1e-8)));
    const ref = reference(wv, dwv, new Float64Array(20), new Float64Array(20), 0, 1e-3);
    expectClose('first step vs float64', next, ref.nextW);
    tf.dispose([w, dw, next, config.m, config.v]);
  });

  it('refuses moments of the wrong shape', () => {
    const w = tf.zeros([4, 5]);
    const m = tf.zeros([4]);
    expect(() => adam(w, w, { m })).toThrow('adam: config.m [4] and w [4,5] must have the same shape');
    tf.dispose([w, m]);
  });

  it("is registered under the course's name", () => {
    expect(getUpdateRule('adam')).toBe(adam as unknown);
  });
});
