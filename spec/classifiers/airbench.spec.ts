/**
 * The airbench net (src/classifiers/airbench.ts): its layout and parameters, Dirac initialisation, a training step
 * that leaks nothing (forward, backward and a lookahead-Nesterov update), state() and loadState() round trip with
 * the whitening filters, the input gradient, the six-view test-time augmentation, and refused options. Gradients
 * against the autodiff twin are the catalogue's (reference/catalogue/model_cases.ts, npm run gradcheck).
 */
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../support/backend';
import { Rng } from '../../src/random';
import { Airbench, diracConv } from '../../src/classifiers/airbench';
import { withFlipAveraging, withFlipTranslateAveraging } from '../../src/classifiers/tta';
import { translateReflect } from '../../src/data/augment';
import { EXTRA_RULES } from '../../src/optim';
import type { OptimConfig } from '../../src/optim';
import { relError } from '../../src/gradcheck';
import { expectWithin } from '../support/expect';

beforeAll(async () => {
  await useBackend();
});

const small = (seed = 1) => new Airbench({ inputDim: [16, 16, 3], widths: [4, 6, 6], numClasses: 5, seed });

describe('Airbench', () => {
  it('has the whitening bias, two convs and two batchnorm biases per group, and a bias-free head', () => {
    const net = small();
    const shapes = Object.fromEntries(Object.entries(net.params).map(([k, v]) => [k, v.shape]));
    expect(shapes).toEqual({
      b0: [24],
      W1: [3, 3, 24, 4],
      beta1: [4],
      W2: [3, 3, 4, 4],
      beta2: [4],
      W3: [3, 3, 4, 6],
      beta3: [6],
      W4: [3, 3, 6, 6],
      beta4: [6],
      W5: [3, 3, 6, 6],
      beta5: [6],
      W6: [3, 3, 6, 6],
      beta6: [6],
      W7: [6, 5],
    });
    expect(net.whitenW.shape).toEqual([2, 2, 3, 24]);
    net.dispose();
  });

  it('starts each conv as the identity on the channels it shares with its input (Dirac)', () => {
    tf.tidy(() => {
      const rng = new Rng(2);
      const x = rng.randn([2, 5, 5, 3]);
      const w = diracConv(rng, 3, 5);
      const out = tf.conv2d(x as tf.Tensor4D, w, 1, 'same');
      expectWithin('first 3 filters copy the input', relError(tf.slice(out, [0, 0, 0, 0], [2, 5, 5, 3]), x).norm, 1e-7);
      // The other two filters are drawn, within +-1/sqrt(9 * 3).
      const rest = tf.slice(w, [0, 0, 0, 3], [3, 3, 3, 2]).dataSync();
      expect(Math.max(...Array.from(rest, Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(27));
      expect(new Set(rest).size).toBeGreaterThan(40);
    });
  });

  it('trains a step (lookahead Nesterov) without leaking, and scores in test mode', () => {
    const net = small();
    const rng = new Rng(3);
    const X = rng.randn([6, 16, 16, 3], 50) as tf.Tensor4D;
    const y = tf.tensor1d([0, 1, 2, 3, 4, 0], 'int32');
    net.initWhitening(X);
    const rule = EXTRA_RULES.sgd_nesterov_lookahead;
    const configs: Record<string, Partial<OptimConfig>> = Object.fromEntries(Object.keys(net.params).map((k) => [k, { learningRate: 0.1, momentum: 0.85, lookaheadEvery: 2, lookaheadSteps: 4 }]));
    const step = () =>
      tf.tidy(() => {
        const { loss, grads } = net.loss(X, y);
        expect(Object.keys(grads).sort()).toEqual(Object.keys(net.params).sort());
        for (const [name, p] of Object.entries(net.params)) {
          expect(grads[name].shape).toEqual(p.shape);
          const old = configs[name];
          const { next, config } = rule(p, grads[name], old);
          p.assign(next);
          for (const t of Object.values(config)) if (t instanceof tf.Tensor) tf.keep(t);
          for (const t of Object.values(old)) if (t instanceof tf.Tensor && !Object.values(config).includes(t)) t.dispose();
          configs[name] = config;
        }
        return loss.dataSync()[0];
      });
    const first = step(); // creates the running statistics, the velocities and the slow weights
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    expect(Number.isFinite(first)).toBe(true);
    const scores = net.loss(X);
    expect(scores.shape).toEqual([6, 5]);
    scores.dispose();
    expect(tf.memory().numTensors).toBe(before);
    for (const c of Object.values(configs)) tf.dispose(Object.values(c).filter((t): t is tf.Tensor => t instanceof tf.Tensor));
    net.dispose();
    tf.dispose([X, y]);
  });

  it('round-trips its state (whitening filters and running statistics) into a fresh net', () => {
    const a = small(4);
    const b = small(5);
    const rng = new Rng(6);
    const X = rng.randn([4, 16, 16, 3], 30) as tf.Tensor4D;
    a.initWhitening(X);
    tf.dispose(tf.tidy(() => a.loss(X, tf.tensor1d([0, 1, 2, 3], 'int32')).loss));
    const state = a.state();
    expect(Object.keys(state).sort()).toEqual(['whitenW', ...[1, 2, 3, 4, 5, 6].flatMap((l) => [`runningMean${l}`, `runningVar${l}`])].sort());
    for (const [k, p] of Object.entries(a.params)) b.params[k].assign(p);
    b.loadState(Object.fromEntries(Object.entries(state).map(([k, t]) => [k, tf.clone(t)])));
    tf.tidy(() => expectWithin('test scores after loadState', relError(b.loss(X), a.loss(X)).norm, 1e-6));
    const bad = tf.zeros([2, 2, 3, 12]);
    expect(() => b.loadState({ whitenW: bad })).toThrow("Airbench.loadState: 'whitenW' must be float32 [2,2,3,24], got float32 [2,2,3,12]");
    bad.dispose();
    a.dispose();
    b.dispose();
    X.dispose();
  });

  it('gives the input gradient, and six-view test-time augmentation averages as airbench weights it', () => {
    const net = small(7);
    const rng = new Rng(8);
    const X = rng.randn([3, 16, 16, 3]) as tf.Tensor4D;
    tf.dispose(tf.tidy(() => net.loss(X, tf.tensor1d([0, 1, 2], 'int32')).loss));
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const { scores, dX } = net.inputGradient(X, (s) => tf.onesLike(s));
      expect(scores.shape).toEqual([3, 5]);
      expect(dX.shape).toEqual([3, 16, 16, 3]);
      const flip = withFlipAveraging(net);
      const expected = tf.add(tf.mul(flip.loss(X), 0.5), tf.mul(tf.add(flip.loss(translateReflect(X, -1, -1)), flip.loss(translateReflect(X, 1, 1))), 0.25));
      expectWithin('six views', relError(withFlipTranslateAveraging(net).loss(X), expected).norm, 1e-6);
    });
    expect(tf.memory().numTensors).toBe(before);
    net.dispose();
    X.dispose();
  });

  it('refuses options that do not make the net', () => {
    expect(() => new Airbench({ inputDim: [8, 8, 3] })).toThrow('Airbench: inputDim must be [H, H, C], square with H >= 16, got [8,8,3]');
    expect(() => new Airbench({ widths: [4, 4] as never })).toThrow('Airbench: widths must be three positive integers, got [4,4]');
    expect(() => new Airbench({ labelSmoothing: 1 })).toThrow('Airbench: labelSmoothing must be in [0, 1), got 1');
  });
});
