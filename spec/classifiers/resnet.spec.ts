/**
 * ResNet (src/classifiers/resnet.ts), `npm run train`'s default model: parameter names and shapes by layer, every
 * gradient against the autodiff twin (reference/resnet.ts) with and without the skip connections, test mode,
 * state round trips, the input gradient for network visualisation, a forward + backward + update cycle that leaks
 * no tensors, and errors for bad configurations and inputs.
 */
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../support/backend';
import { Rng } from '../../src/random';
import { ResNet, ResNetOptions } from '../../src/classifiers/resnet';
import { AUTODIFF_BOUND } from '../../src/gradcheck';
import { autodiffGrads, compareGrads } from '../../reference/crosscheck';
import { resNetLossRef } from '../../reference/resnet';
import { sgdMomentum } from '../../src/optim';
import { expectAllPass } from '../support/expect';

beforeAll(() => useBackend());

const INPUT: [number, number, number] = [8, 8, 3];

function batch(seed: number, n: number): { X: tf.Tensor4D; y: tf.Tensor1D } {
  const rng = new Rng(seed);
  return { X: rng.randn([n, ...INPUT]) as tf.Tensor4D, y: tf.tensor1d(Array.from({ length: n }, () => rng.int(10)), 'int32') };
}

/**
 * Hand-written vs autodiff through nine batchnorm layers: 5 * AUTODIFF_BOUND, as for ConvNet (each batchnorm
 * backward subtracts means, a cancellation that multiplies float32 rounding). A wrong gradient is off by 1e-2 or more.
 */
const BOUND = 5 * AUTODIFF_BOUND;

describe('ResNet', () => {
  it('numbers its parameters by layer: 8 conv-bn-relu layers (two pairs in residual blocks) and the affine head', () => {
    const net = new ResNet({ inputDim: INPUT, width: 2 });
    const shapes = Object.fromEntries(Object.entries(net.params).map(([k, v]) => [k, v.shape]));
    const conv: [number, number][] = [[3, 2], [2, 4], [4, 4], [4, 4], [4, 8], [8, 16], [16, 16], [16, 16]];
    const expected: Record<string, number[]> = {};
    conv.forEach(([C, F], i) => {
      expected[`W${i + 1}`] = [3, 3, C, F];
      expected[`b${i + 1}`] = [F];
      expected[`gamma${i + 1}`] = [F];
      expected[`beta${i + 1}`] = [F];
    });
    expected.W9 = [16, 10];
    expected.b9 = [10];
    expect(shapes).toEqual(expected);
    expect(net.numLayers).toBe(9);
    expect(Object.keys(new ResNet({ inputDim: INPUT, width: 2, residual: false }).params)).toEqual(Object.keys(expected));
    net.dispose();
  });

  it.each([
    ['residual, label smoothing, reg', { residual: true, labelSmoothing: 0.2, reg: 0.1 }],
    ['no skip connections, plain softmax loss, no reg', { residual: false, labelSmoothing: 0, reg: 0 }],
  ] as [string, ResNetOptions][])('every gradient matches autodiff: %s', (_name, options) => {
    const net = new ResNet({ inputDim: INPUT, width: 2, seed: 3, ...options });
    const { X, y } = batch(4, 4);
    tf.tidy(() => {
      const { loss, grads } = net.loss(X, y);
      const o = net.options;
      const twinLoss = resNetLossRef(net.params, X, y, { residual: o.residual, labelSmoothing: o.labelSmoothing, reg: o.reg });
      expect(loss.dataSync()[0]).toBeCloseTo(twinLoss.dataSync()[0], 4);
      const auto = autodiffGrads((p) => resNetLossRef(p, X, y, { residual: o.residual, labelSmoothing: o.labelSmoothing, reg: o.reg }), net.params);
      // The conv biases b1..b8 sit before batchnorm: zero in exact arithmetic, rounding noise on both sides, which
      // can exceed ABS_FLOOR here; they are checked to be tiny instead.
      const biases = Object.keys(grads).filter((k) => /^b[1-8]$/.test(k));
      const rest = (g: Record<string, tf.Tensor>) => Object.fromEntries(Object.entries(g).filter(([k]) => !biases.includes(k)));
      expectAllPass(compareGrads('ResNet', rest(grads), rest(auto), BOUND), BOUND);
      for (const k of biases) expect([k, tf.norm(grads[k]).dataSync()[0] < 1e-5]).toEqual([k, true]);
    });
    net.dispose();
    tf.dispose([X, y]);
  });

  it('learns a small batch (the loss halves in 30 steps); test mode scores with the running statistics', () => {
    const net = new ResNet({ inputDim: INPUT, width: 2, seed: 5 });
    const { X, y } = batch(6, 8);
    const first = tf.tidy(() => net.loss(X, y).loss.dataSync()[0]);
    // Above ln(10): the head's LeCun initialisation meets features that the residual additions have made larger
    // than unit scale (on CIFAR-10 the first loss was 3.1).
    expect(first).toBeGreaterThan(Math.log(10));
    expect(first).toBeLessThan(8);
    const configs: Record<string, Partial<{ learningRate: number; velocity: tf.Tensor }>> = {};
    let last = first;
    for (let i = 0; i < 30; i++) {
      last = tf.tidy(() => {
        const { loss, grads } = net.loss(X, y);
        for (const [k, p] of Object.entries(net.params)) {
          const { next, config } = sgdMomentum(p, grads[k], { learningRate: 0.05, ...configs[k] });
          p.assign(next);
          configs[k]?.velocity?.dispose();
          configs[k] = { learningRate: 0.05, velocity: tf.keep(config.velocity) };
        }
        return loss.dataSync()[0];
      });
    }
    expect(last).toBeLessThan(first / 2);
    const scores = net.loss(X);
    expect(scores.shape).toEqual([8, 10]);
    expect(net.bnParams.every((b) => b.mode === 'test')).toBe(true);
    scores.dispose();
    tf.dispose(Object.values(configs).map((c) => c.velocity as tf.Tensor));
    net.dispose();
    tf.dispose([X, y]);
  });

  it('state() and loadState() carry the running statistics; inputGradient returns dX of the images shape', () => {
    const a = new ResNet({ inputDim: INPUT, width: 2, seed: 7 });
    const b = new ResNet({ inputDim: INPUT, width: 2, seed: 7 });
    const { X, y } = batch(8, 4);
    tf.dispose(tf.tidy(() => a.loss(X, y).loss));
    const state = a.state();
    expect(Object.keys(state)).toHaveLength(16);
    b.loadState(Object.fromEntries(Object.entries(state).map(([k, t]) => [k, tf.clone(t)])));
    tf.tidy(() => expect(tf.max(tf.abs(tf.sub(a.loss(X), b.loss(X)))).dataSync()[0]).toBe(0));
    expect(() => b.loadState({ runningMean12: tf.zeros([2]) })).toThrow("ResNet.loadState: 'runningMean12' is not the running statistic of a batchnorm layer of this net");
    tf.tidy(() => {
      const { scores, dX } = a.inputGradient(X, (s) => tf.cast(tf.oneHot(tf.argMax(s, 1), 10), 'float32') as tf.Tensor2D);
      expect(scores.shape).toEqual([4, 10]);
      expect(dX.shape).toEqual([4, ...INPUT]);
      expect(tf.norm(dX).dataSync()[0]).toBeGreaterThan(0);
    });
    a.dispose();
    b.dispose();
    tf.dispose([X, y]);
  });

  it('a forward + backward + update cycle leaks no tensors; constructing and disposing leaves none', () => {
    const before = tf.memory().numTensors;
    const net = new ResNet({ inputDim: INPUT, width: 2, labelSmoothing: 0.1, reg: 1e-3 });
    const { X, y } = batch(9, 4);
    tf.dispose(tf.tidy(() => net.loss(X, y).loss)); // creates the running statistics
    const steady = tf.memory().numTensors;
    for (let i = 0; i < 2; i++) {
      tf.tidy(() => {
        const { grads } = net.loss(X, y);
        for (const [k, p] of Object.entries(net.params)) p.assign(tf.sub(p, tf.mul(0.01, grads[k])));
      });
      net.loss(X).dispose();
    }
    expect(tf.memory().numTensors).toBe(steady);
    net.dispose();
    tf.dispose([X, y]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses bad configurations and inputs, naming the option and what it got', () => {
    const bad: [ResNetOptions, string][] = [
      [{ inputDim: [12, 12, 3] }, 'ResNet: inputDim must be [H, W, C] with H and W divisible by 8 (three 2x2 pools), got [12,12,3]'],
      [{ width: 0 }, 'ResNet: width must be a positive integer, got 0'],
      [{ labelSmoothing: 1 }, 'ResNet: labelSmoothing must be in [0, 1), got 1'],
      [{ reg: -1 }, 'ResNet: reg must be >= 0, got -1'],
      [{ numClasses: 1.5 }, 'ResNet: numClasses must be a positive integer, got 1.5'],
    ];
    const before = tf.memory().numTensors;
    for (const [options, message] of bad) expect(() => new ResNet({ inputDim: INPUT, ...options })).toThrow(message);
    expect(tf.memory().numTensors).toBe(before);
    const net = new ResNet({ inputDim: INPUT, width: 1 });
    tf.tidy(() => {
      expect(() => net.loss(tf.zeros([2, 192]))).toThrow('ResNet.loss: X must be [N, 8, 8, 3] (NHWC), got shape [2,192]');
      expect(() => net.loss(tf.zeros([2, ...INPUT]), tf.tensor1d([0, 10], 'int32'))).toThrow('ResNet.loss: y[1] = 10 is out of range');
    });
    net.dispose();
  });
});
