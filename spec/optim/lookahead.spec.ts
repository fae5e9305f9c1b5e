/**
 * Lookahead (src/optim/lookahead.ts) around sgd_nesterov: the blend every k steps against a float64 loop, the
 * decay schedule, the state a checkpoint keeps (step count, ema), and no leaked tensors over many steps.
 */
import * as tf from '@tensorflow/tfjs-core';
import { EXTRA_RULES, lookaheadDecay, lookaheadWeights, sgdNesterov, withLookahead } from '../../src/optim';
import type { OptimConfig } from '../../src/optim';
import { Rng } from '../../src/random';
import { relError } from '../../src/gradcheck';
import { useBackend } from '../support/backend';
import { expectWithin } from '../support/expect';

beforeAll(async () => {
  await useBackend();
});

/** Plain SGD (Nesterov with momentum 0) with lookahead, in float64. */
function reference(w0: Float32Array, grads: Float32Array[], lr: number, k: number, T: number, base: number): { w: Float64Array; ema: Float64Array } {
  const w = Float64Array.from(w0);
  const ema = Float64Array.from(w0);
  grads.forEach((g, s) => {
    const t = s + 1;
    for (let i = 0; i < w.length; i++) w[i] -= lr * g[i];
    if (t % k === 0) {
      const d = base * Math.min(t / T, 1) ** 3;
      for (let i = 0; i < w.length; i++) {
        ema[i] = d * ema[i] + (1 - d) * w[i];
        w[i] = ema[i];
      }
    }
  });
  return { w, ema };
}

describe('withLookahead', () => {
  it('blends the slow weights in every k steps, with decay base * (t / T)^3', () => {
    const rule = withLookahead(sgdNesterov as never);
    const rng = new Rng(4);
    const w0 = rng.randn([3, 3]);
    const grads = Array.from({ length: 7 }, () => rng.randn([3, 3]));
    const before = tf.memory().numTensors;
    let w = tf.clone(w0);
    let config: Partial<OptimConfig> = { learningRate: 0.1, momentum: 0, lookaheadEvery: 3, lookaheadSteps: 6, lookaheadBase: 0.5 };
    for (const g of grads) {
      const r = rule(w, g, config);
      const fresh = Object.values(r.config).filter((v) => v instanceof tf.Tensor);
      tf.dispose([w, ...Object.values(config).filter((v) => v instanceof tf.Tensor && !fresh.includes(v))]);
      w = r.next;
      config = r.config;
    }
    expect(config.lookaheadStep).toBe(7);
    // Every old state tensor was freed: what is left is w, velocity and ema.
    expect(tf.memory().numTensors - before).toBe(3);
    const ref = reference(w0.dataSync() as Float32Array, grads.map((g) => g.dataSync() as Float32Array), 0.1, 3, 6, 0.5);
    tf.tidy(() => {
      expectWithin('weights vs float64', relError(w, tf.tensor(Float32Array.from(ref.w), [3, 3])).norm, 1e-6);
      expectWithin('ema vs float64', relError(lookaheadWeights(config) as tf.Tensor, tf.tensor(Float32Array.from(ref.ema), [3, 3])).norm, 1e-6);
    });
    tf.dispose([w, config.velocity as tf.Tensor, config.ema as tf.Tensor, w0, ...grads]);
  });

  it('decays from 0 at the start to base at the end, and is registered with Nesterov', () => {
    expect(lookaheadDecay(0, 100, 0.95 ** 5)).toBe(0);
    expect(lookaheadDecay(50, 100, 0.8)).toBeCloseTo(0.1, 12);
    expect(lookaheadDecay(200, 100, 0.8)).toBe(0.8);
    expect(EXTRA_RULES.sgd_nesterov_lookahead.name).toBe('lookahead');
    expect(lookaheadWeights({ learningRate: 1 })).toBeNull();
    tf.tidy(() => {
      expect(() => EXTRA_RULES.sgd_nesterov_lookahead(tf.zeros([2]), tf.zeros([2]), { learningRate: 1, lookaheadEvery: 0 })).toThrow(
        'lookahead: config.lookaheadEvery must be a positive integer, got 0',
      );
    });
  });
});
