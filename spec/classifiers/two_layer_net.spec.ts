/**
 * TwoLayerNet: every gradient against tfjs autodiff of the reference net, the same numbers as the one-hidden-layer
 * FullyConnectedNet given the same weights, the input gradient, parameter names, errors and tensor leaks.
 */
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../support/backend';
import { Rng } from '../../src/random';
import { TwoLayerNet } from '../../src/classifiers/two_layer_net';
import { FullyConnectedNet } from '../../src/classifiers/fc_net';
import { autodiffGrads, compareGrads } from '../../reference/crosscheck';
import { fcNetLossRef } from '../../reference/models';
import { relError } from '../../src/gradcheck';

beforeAll(() => useBackend());

const [N, D, H, C] = [4, 5, 6, 3];

function data(seed: number): { X: tf.Tensor2D; y: tf.Tensor1D } {
  const rng = new Rng(seed);
  return { X: rng.randn([N, D]) as tf.Tensor2D, y: tf.tensor1d(rng.choice(C, N), 'int32') };
}

describe('TwoLayerNet', () => {
  it('has the course parameters W1 [D, H], b1 [H], W2 [H, C], b2 [C] and its own kind', () => {
    const net = new TwoLayerNet({ inputDim: D, hiddenDim: H, numClasses: C });
    expect(Object.fromEntries(Object.entries(net.params).map(([k, v]) => [k, v.shape]))).toEqual({ W1: [D, H], b1: [H], W2: [H, C], b2: [C] });
    expect(net.kind).toBe('TwoLayerNet');
    net.dispose();
  });

  for (const reg of [0, 0.7]) {
    it(`every gradient matches autodiff of the reference net (reg ${reg})`, () => {
      const net = new TwoLayerNet({ inputDim: D, hiddenDim: H, numClasses: C, weightScale: 0.5, reg, seed: 1 });
      const { X, y } = data(2);
      tf.tidy(() => {
        const { grads } = net.loss(X, y);
        const auto = autodiffGrads((p) => fcNetLossRef(p, X, y, { numLayers: 2, normalization: 'none', reg }), net.params);
        const rows = compareGrads(`two-layer net reg ${reg}`, grads, auto);
        expect(rows.map((r) => r.param).sort()).toEqual(['W1', 'W2', 'b1', 'b2']);
        expect(rows.filter((r) => !r.pass)).toEqual([]);
      });
      tf.dispose([X, y]);
      net.dispose();
    });
  }

  it('gives the loss and gradients of FullyConnectedNet with one hidden layer and the same weights', () => {
    const net = new TwoLayerNet({ inputDim: D, hiddenDim: H, numClasses: C, weightScale: 0.5, reg: 0.3, seed: 3 });
    const fc = new FullyConnectedNet({ hiddenDims: [H], inputDim: D, numClasses: C, reg: 0.3, seed: 4 });
    for (const [name, v] of Object.entries(net.params)) fc.params[name].assign(v);
    const { X, y } = data(5);
    tf.tidy(() => {
      const a = net.loss(X, y);
      const b = fc.loss(X, y);
      expect(relError(a.loss, b.loss).norm).toBeLessThan(1e-6);
      for (const name of Object.keys(net.params)) expect([name, relError(a.grads[name], b.grads[name]).norm < 1e-6]).toEqual([name, true]);
      expect(relError(net.loss(X), fc.loss(X)).norm).toBeLessThan(1e-6);
    });
    tf.dispose([X, y]);
    net.dispose();
    fc.dispose();
  });

  it('inputGradient returns the scores and dX in the input shape, and leaks no tensors', () => {
    const net = new TwoLayerNet({ inputDim: 2 * 2 * 3, hiddenDim: H, numClasses: C, weightScale: 0.5 });
    const X = new Rng(6).randn([N, 2, 2, 3]);
    const before = tf.memory().numTensors;
    const { scores, dX } = net.inputGradient(X, (s) => tf.cast(tf.oneHot(tf.zeros([s.shape[0]], 'int32'), C), 'float32') as tf.Tensor2D);
    expect(scores.shape).toEqual([N, C]);
    expect(dX.shape).toEqual([N, 2, 2, 3]);
    tf.dispose([scores, dX]);
    const { loss, grads } = net.loss(X, tf.tensor1d([0, 1, 2, 0], 'int32'));
    tf.dispose([loss, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before + 1); // the labels tensor above
    X.dispose();
    net.dispose();
  });

  it('rejects bad options and inputs with errors naming them', () => {
    expect(() => new TwoLayerNet({ hiddenDim: 0 })).toThrow(/TwoLayerNet: hiddenDim must be a positive integer, got 0/);
    const net = new TwoLayerNet({ inputDim: 4, hiddenDim: 3, numClasses: 2 });
    expect(() => net.loss(tf.zeros([2, 5]))).toThrow(/TwoLayerNet.loss: X \[2,5\] flattens to 5 features per example, expected 4/);
    expect(() => net.loss(tf.zeros([2, 4]), tf.tensor1d([0, 1, 1], 'int32'))).toThrow(/y must be \[N\] with N = 2/);
    net.dispose();
  });
});
