/**
 * sgd_nesterov (src/optim/sgd_nesterov.ts): against tfjs's own Nesterov momentum (reference/optim.ts) over several
 * steps, the decoupled weight decay and lrScale against a float64 loop, a rate of 0 that moves nothing, the
 * registry, refused hyperparameters, and no leaked tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { EXTRA_RULES, getAnyRule, sgdNesterov } from '../../src/optim';
import type { NesterovConfig } from '../../src/optim';
import { Rng } from '../../src/random';
import { nesterovRef } from '../../reference/optim';
import { relError } from '../../src/gradcheck';
import { useBackend } from '../support/backend';
import { expectWithin } from '../support/expect';

beforeAll(async () => {
  await useBackend();
});

/** The rule in float64, written out per element, for n steps of the given gradients. */
function reference(w0: Float32Array, grads: Float32Array[], lr: number, mu: number, wd: number, scale: number): Float64Array {
  const w = Float64Array.from(w0);
  const v = new Float64Array(w.length);
  for (const g of grads) {
    for (let i = 0; i < w.length; i++) {
      v[i] = mu * v[i] + g[i];
      w[i] = w[i] - lr * scale * (g[i] + mu * v[i]) - lr * wd * w[i];
    }
  }
  return w;
}

function run(w0: tf.Tensor, grads: tf.Tensor[], config: Partial<NesterovConfig>): tf.Tensor {
  let w = tf.clone(w0);
  let c: Partial<NesterovConfig> = { ...config };
  for (const g of grads) {
    const r = sgdNesterov(w, g, c);
    tf.dispose([w, c.velocity as tf.Tensor]);
    w = r.next;
    c = r.config;
  }
  tf.dispose(c.velocity as tf.Tensor);
  return w;
}

describe('sgd_nesterov', () => {
  it("reaches tfjs's Nesterov momentum weights over five steps", () => {
    tf.tidy(() => {
      const rng = new Rng(1);
      const w0 = rng.randn([4, 5]);
      const grads = Array.from({ length: 5 }, () => rng.randn([4, 5]));
      const ours = run(w0, grads, { learningRate: 0.1, momentum: 0.85 });
      const theirs = nesterovRef(w0, grads, 0.1, 0.85);
      expectWithin('nesterov vs tf.train.momentum(useNesterov)', relError(ours, theirs).norm, 1e-6);
    });
  });

  it('decays decoupled from the gradient step, and lrScale scales the step but not the decay', () => {
    tf.tidy(() => {
      const rng = new Rng(2);
      const w0 = rng.randn([3, 4]);
      const grads = Array.from({ length: 4 }, () => rng.randn([3, 4]));
      const ours = run(w0, grads, { learningRate: 0.05, momentum: 0.9, weightDecay: 0.3, lrScale: 4 });
      const ref = reference(w0.dataSync() as Float32Array, grads.map((g) => g.dataSync() as Float32Array), 0.05, 0.9, 0.3, 4);
      expectWithin('weight decay and lrScale vs float64', relError(ours, tf.tensor(Float32Array.from(ref), [3, 4])).norm, 1e-6);
      // With a zero gradient, one step shrinks w by exactly learningRate * weightDecay, whatever lrScale is.
      const { next } = sgdNesterov(w0, tf.zerosLike(w0), { learningRate: 0.1, weightDecay: 0.5, lrScale: 64 });
      expectWithin('pure decay', relError(next, tf.mul(w0, 0.95)).norm, 1e-6);
    });
  });

  it('moves nothing at learning rate 0, and leaves no tensors behind', () => {
    const rng = new Rng(3);
    const w = rng.randn([2, 3]);
    const dw = rng.randn([2, 3]);
    const before = tf.memory().numTensors;
    const { next, config } = sgdNesterov(w, dw, { learningRate: 0, weightDecay: 1 });
    expect(Array.from(next.dataSync())).toEqual(Array.from(w.dataSync()));
    expect(tf.memory().numTensors - before).toBe(2);
    tf.dispose([next, config.velocity]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([w, dw]);
  });

  it('is registered by name, and refuses a hyperparameter that is not a number', () => {
    expect(getAnyRule('sgd_nesterov')).toBe(EXTRA_RULES.sgd_nesterov);
    expect(() => getAnyRule('nesterov')).toThrow("getAnyRule: unknown update rule 'nesterov'");
    tf.tidy(() => {
      expect(() => sgdNesterov(tf.zeros([2]), tf.zeros([2]), { lrScale: NaN })).toThrow('sgd_nesterov: config.lrScale must be a finite number, got NaN');
      expect(() => sgdNesterov(tf.zeros([2]), tf.zeros([3]))).toThrow('sgd_nesterov');
    });
  });
});
