import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../support/backend';
import { Rng } from '../../src/random';
import { FullyConnectedNet, Normalization } from '../../src/classifiers/fc_net';
import { dropoutForward } from '../../src/layers/dropout';
import { autodiffGrads, compareGrads, CrossCheckRow } from '../../reference/crosscheck';
import { fcNetLossRef } from '../../reference/models';
import { expectAllPass } from '../support/expect';

beforeAll(() => useBackend());

const N = 3;
const D = 5;
const H = [6, 4];
const C = 7;

function data(seed: number) {
  const rng = new Rng(seed);
  const X = rng.randn([N, D]);
  const y = tf.tensor1d(Array.from({ length: N }, () => rng.int(C)), 'int32');
  return { X, y };
}

function check(normalization: Normalization, keep: number, reg: number) {
  const net = new FullyConnectedNet({ hiddenDims: H, inputDim: D, numClasses: C, normalization, reg, weightScale: 5e-1, seed: 1, dropoutKeepRatio: keep, dropoutSeed: 123 });
  const { X, y } = data(2);
  let rows: CrossCheckRow[] = [];
  tf.tidy(() => {
    const { grads } = net.loss(X, y);
    const masks = keep < 1 ? H.map((h) => dropoutForward(tf.zeros([N, h]), { mode: 'train', p: keep, seed: 123 }).cache) : undefined;
    const dropoutMasks = masks?.map((m) => (m.mode === 'train' ? m.mask : tf.ones([1])));
    const auto = autodiffGrads(
      (p) => fcNetLossRef(p, X, y, { numLayers: H.length + 1, normalization, reg, dropoutMasks }),
      net.params,
    );
    rows = compareGrads(`fc ${normalization} keep=${keep} reg=${reg}`, grads, auto);
  });
  expectAllPass(rows);
  expect(rows.length).toBe(Object.keys(net.params).length);
  net.dispose();
  X.dispose();
  y.dispose();
}

describe('FullyConnectedNet', () => {
  for (const normalization of ['none', 'batchnorm', 'layernorm'] as const) {
    for (const keep of [1, 0.5]) {
      for (const reg of [0, 3.14]) {
        it(`every gradient matches autodiff: normalization=${normalization}, keep=${keep}, reg=${reg}`, () => check(normalization, keep, reg));
      }
    }
  }

  it('initial loss is near ln(10) with small weights, and regularisation raises it', () => {
    const rng = new Rng(0);
    const X = rng.randn([50, 3072]);
    const y = tf.tensor1d(Array.from({ length: 50 }, () => rng.int(10)), 'int32');
    const losses = [0, 1e3].map((reg) => {
      const net = new FullyConnectedNet({ hiddenDims: [100, 100], reg, weightScale: 1e-2, seed: 0 });
      const l = tf.tidy(() => net.loss(X, y).loss.dataSync()[0]);
      net.dispose();
      return l;
    });
    expect(Math.abs(losses[0] - Math.log(10))).toBeLessThan(0.05);
    expect(losses[1]).toBeGreaterThan(losses[0] + 1);
    tf.dispose([X, y]);
  });

  it('test mode: batchnorm uses running statistics, dropout is the identity', () => {
    const { X, y } = data(3);
    const net = new FullyConnectedNet({ hiddenDims: H, inputDim: D, numClasses: C, normalization: 'batchnorm', dropoutKeepRatio: 0.5, seed: 4 });
    for (let i = 0; i < 3; i++) tf.dispose(tf.tidy(() => net.loss(X, y).loss));
    const rm = net.bnParams[0].runningMean!.dataSync().slice();
    const a = net.loss(X);
    const b = net.loss(X);
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    expect(Array.from(net.bnParams[0].runningMean!.dataSync())).toEqual(Array.from(rm));
    // A single example scored alone gets the same scores as inside the batch: batch statistics would differ.
    const one = net.loss(tf.slice(X, [0, 0], [1, D]));
    expect(Array.from(one.dataSync()).map((v) => v.toFixed(4))).toEqual(Array.from(a.dataSync().slice(0, C)).map((v) => v.toFixed(4)));
    tf.dispose([a, b, one, X, y]);
    net.dispose();
  });

  it('forward + backward + dispose leaks no tensors; running statistics stay one pair per layer', () => {
    const { X, y } = data(5);
    const net = new FullyConnectedNet({ hiddenDims: H, inputDim: D, numClasses: C, normalization: 'batchnorm', dropoutKeepRatio: 0.7, seed: 4 });
    tf.dispose(tf.tidy(() => net.loss(X, y).loss));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const r = net.loss(X, y);
      tf.dispose([r.loss, ...Object.values(r.grads)]);
    }
    expect(tf.memory().numTensors).toBe(before);
    net.dispose();
    tf.dispose([X, y]);
  });

  it('constructing and disposing a net leaves no tensors behind', () => {
    const before = tf.memory().numTensors;
    new FullyConnectedNet({ hiddenDims: [3, 4], inputDim: 5, numClasses: 2, normalization: 'batchnorm' }).dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects bad options and inputs with errors naming them', () => {
    expect(() => new FullyConnectedNet({ hiddenDims: [0] })).toThrow(/hiddenDims must be positive integers/);
    expect(() => new FullyConnectedNet({ hiddenDims: [3], dropoutKeepRatio: 0 })).toThrow(/dropoutKeepRatio must be in \(0, 1\]/);
    const net = new FullyConnectedNet({ hiddenDims: [3], inputDim: 4, numClasses: 2 });
    expect(() => net.loss(tf.zeros([2, 5]))).toThrow(/flattens to 5 features per example, expected 4/);
    expect(() => net.loss(tf.zeros([2, 4]), tf.tensor1d([0, 1, 1], 'int32'))).toThrow(/y must be \[N\] with N = 2/);
    net.dispose();
  });
});
