/**
 * ThreeLayerConvNet, as the notebook checks it: parameter shapes, every gradient against the autodiff twin
 * (reference/models.ts) for each option combination, the initial loss of a net with small weights, test mode
 * with batchnorm's running statistics, no leaked tensors, and clear errors for bad options and inputs.
 * Numeric gradient checks of the same model are in reference/catalogue/model_cases.ts (spec/reference/catalogue.spec.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../support/backend';
import { Rng } from '../../src/random';
import { ThreeLayerConvNet, ThreeLayerConvNetOptions } from '../../src/classifiers/cnn';
import { autodiffGrads, compareGrads, CrossCheckRow } from '../../reference/crosscheck';
import { threeLayerConvNetLossRef } from '../../reference/models';
import { expectAllPass } from '../support/expect';

beforeAll(() => useBackend());

/** [H, W, C] of the spec's images: small enough for the cpu backend, big enough for a pool and a few filters. */
const INPUT: [number, number, number] = [8, 8, 3];
const TINY: ThreeLayerConvNetOptions = { inputDim: INPUT, numFilters: 4, filterSize: 3, hiddenDim: 5, numClasses: 10 };

/** Seeded images [n, 8, 8, 3] and labels in 0..9. */
function batch(seed: number, n: number): { X: tf.Tensor4D; y: tf.Tensor1D } {
  const rng = new Rng(seed);
  const X = rng.randn([n, ...INPUT]) as tf.Tensor4D;
  const y = tf.tensor1d(Array.from({ length: n }, () => rng.int(10)), 'int32');
  return { X, y };
}

/**
 * Test-mode scores computed from the net's parameters and batchnorm running statistics with plain tf ops, the
 * course's formula written out: what the net's own test mode must give.
 */
function testModeScores(net: ThreeLayerConvNet, X: tf.Tensor4D): tf.Tensor {
  return tf.tidy(() => {
    const p = net.params;
    const pad = net.convParam.pad;
    let h: tf.Tensor = tf.add(
      tf.conv2d(X, p.W1 as tf.Tensor4D, 1, [
        [0, 0],
        [pad, pad],
        [pad, pad],
        [0, 0],
      ]),
      p.b1,
    );
    const { runningMean, runningVar } = net.bnParam;
    h = tf.add(tf.mul(tf.div(tf.sub(h, runningMean!), tf.sqrt(tf.add(runningVar!, 1e-5))), p.gamma1), p.beta1);
    h = tf.maxPool(tf.relu(h) as tf.Tensor4D, 2, 2, 'valid');
    h = tf.relu(tf.add(tf.matMul(tf.reshape(h, [X.shape[0], -1]), p.W2), p.b2));
    return tf.add(tf.matMul(h, p.W3), p.b3);
  });
}

describe('ThreeLayerConvNet', () => {
  it('has the course parameters with NHWC shapes, gamma1 and beta1 only with batchnorm', () => {
    const plain = new ThreeLayerConvNet(TINY);
    const bn = new ThreeLayerConvNet({ ...TINY, batchnorm: true });
    const shapes = (net: ThreeLayerConvNet) => Object.fromEntries(Object.entries(net.params).map(([k, v]) => [k, v.shape]));
    const common = { W1: [3, 3, 3, 4], b1: [4], W2: [4 * 4 * 4, 5], b2: [5], W3: [5, 10], b3: [10] };
    expect(shapes(plain)).toEqual(common);
    expect(shapes(bn)).toEqual({ ...common, gamma1: [4], beta1: [4] });
    expect(Array.from(bn.params.gamma1.dataSync())).toEqual([1, 1, 1, 1]);
    expect(Array.from(bn.params.beta1.dataSync())).toEqual([0, 0, 0, 0]);
    plain.dispose();
    bn.dispose();
  });

  for (const batchnorm of [false, true]) {
    for (const reg of [0, 0.7]) {
      it(`every gradient matches autodiff: batchnorm=${batchnorm}, reg=${reg}`, () => {
        const net = new ThreeLayerConvNet({ ...TINY, weightScale: 0.2, reg, batchnorm, seed: 3 });
        const { X, y } = batch(4, 3);
        let rows: CrossCheckRow[] = [];
        let loss = NaN;
        let refLoss = NaN;
        tf.tidy(() => {
          const r = net.loss(X, y);
          const auto = autodiffGrads((p) => threeLayerConvNetLossRef(p, X, y, { reg, batchnorm }), net.params);
          rows = compareGrads(`ThreeLayerConvNet batchnorm=${batchnorm} reg=${reg}`, r.grads, auto);
          loss = r.loss.dataSync()[0];
          refLoss = threeLayerConvNetLossRef(net.params, X, y, { reg, batchnorm }).dataSync()[0];
        });
        expectAllPass(rows);
        expect(rows.map((r) => r.param).sort()).toEqual(Object.keys(net.params).sort());
        expect(Math.abs(loss - refLoss)).toBeLessThan(1e-5 * Math.abs(refLoss));
        // The gradients are real, not a pair of zeros that would pass any comparison (b1 with batchnorm excepted:
        // batchnorm removes any constant shift, so that gradient is zero in exact arithmetic).
        for (const r of rows) if (!(batchnorm && r.param === 'b1')) expect(r.scale).toBeGreaterThan(1e-3);
        net.dispose();
        tf.dispose([X, y]);
      });
    }
  }

  it('initial loss is near ln(10) with small weights, and regularisation raises it', () => {
    const { X, y } = batch(5, 8);
    const losses = [0, 1e4].map((reg) => {
      const net = new ThreeLayerConvNet({ ...TINY, weightScale: 1e-3, reg, seed: 6 });
      const l = tf.tidy(() => net.loss(X, y).loss.dataSync()[0]);
      net.dispose();
      return l;
    });
    expect(Math.abs(losses[0] - Math.log(10))).toBeLessThan(1e-3);
    expect(losses[1]).toBeGreaterThan(losses[0] + 1e-3);
    tf.dispose([X, y]);
  });

  it('test mode: batchnorm uses the running statistics, which training updates and scoring leaves alone', () => {
    const net = new ThreeLayerConvNet({ ...TINY, weightScale: 0.2, batchnorm: true, seed: 7 });
    const { X, y } = batch(8, 4);
    expect(() => net.loss(X)).toThrow(/test mode needs bnParam.runningMean/);
    for (let i = 0; i < 3; i++) tf.dispose(tf.tidy(() => net.loss(X, y).loss));
    expect(net.bnParam.runningMean!.shape).toEqual([4]);
    const runningMean = Array.from(net.bnParam.runningMean!.dataSync());
    const scores = net.loss(X);
    expect(scores.shape).toEqual([4, 10]);
    const expected = testModeScores(net, X);
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(scores, expected))).dataSync()[0]);
    expect(diff).toBeLessThan(1e-4);
    expect(Array.from(net.bnParam.runningMean!.dataSync())).toEqual(runningMean);
    // One image scored alone gets the same scores as inside the batch: batch statistics would differ.
    const one = net.loss(tf.slice(X, [0, 0, 0, 0], [1, ...INPUT]));
    const oneDiff = tf.tidy(() => tf.max(tf.abs(tf.sub(one, tf.slice(scores, [0, 0], [1, 10])))).dataSync()[0]);
    expect(oneDiff).toBeLessThan(1e-4);
    tf.dispose([scores, expected, one, X, y]);
    net.dispose();
  });

  it('constructing and disposing a net leaves no tensors behind', () => {
    const before = tf.memory().numTensors;
    new ThreeLayerConvNet(TINY).dispose();
    new ThreeLayerConvNet({ ...TINY, batchnorm: true }).dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  for (const batchnorm of [false, true]) {
    it(`forward + backward + dispose leaks no tensors (batchnorm=${batchnorm}); running statistics stay one pair`, () => {
      const net = new ThreeLayerConvNet({ ...TINY, batchnorm, reg: 0.1, seed: 9 });
      const { X, y } = batch(10, 2);
      // The first training step creates the running statistics; from then on the count must not move.
      tf.dispose(tf.tidy(() => net.loss(X, y).loss));
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) {
        const r = net.loss(X, y);
        tf.dispose([r.loss, ...Object.values(r.grads)]);
        net.loss(X).dispose();
      }
      expect(tf.memory().numTensors).toBe(before);
      net.dispose();
      tf.dispose([X, y]);
    });
  }

  it('rejects bad options with errors naming them', () => {
    expect(() => new ThreeLayerConvNet({ ...TINY, filterSize: 4 })).toThrow(/filterSize must be odd, got 4/);
    expect(() => new ThreeLayerConvNet({ ...TINY, inputDim: [7, 8, 3] })).toThrow(/H and W must be even for the 2x2 pool, got \[7,8,3\]/);
    expect(() => new ThreeLayerConvNet({ ...TINY, numFilters: 0 })).toThrow(/numFilters must be a positive integer, got 0/);
    expect(() => new ThreeLayerConvNet({ ...TINY, hiddenDim: 2.5 })).toThrow(/hiddenDim must be a positive integer, got 2.5/);
    expect(() => new ThreeLayerConvNet({ ...TINY, inputDim: [8, 8, 0] })).toThrow(/inputDim must be three positive integers \[H, W, C\], got \[8,8,0\]/);
  });

  it('rejects bad inputs with errors naming the expected NHWC shape and what came', () => {
    const net = new ThreeLayerConvNet(TINY);
    const { X, y } = batch(11, 2);
    tf.tidy(() => {
      // The course's NCHW layout is the likeliest mistake: it must be named, not silently reshaped.
      expect(() => net.loss(tf.zeros([2, 3, 8, 8]), y)).toThrow(/X must be \[N, 8, 8, 3\] \(NHWC\), got shape \[2,3,8,8\]/);
      expect(() => net.loss(tf.zeros([8, 8, 3]))).toThrow(/X must be \[N, 8, 8, 3\] \(NHWC\), got shape \[8,8,3\]/);
      expect(() => net.loss(tf.zeros([2, 192]))).toThrow(/X must be \[N, 8, 8, 3\] \(NHWC\), got shape \[2,192\]/);
      expect(() => net.loss(X, tf.tensor1d([1, 2, 3], 'int32'))).toThrow(/y must be \[N\] with N = 2/);
      expect(() => net.loss(X, tf.tensor1d([1, 2], 'float32'))).toThrow(/y must be int32/);
      expect(() => net.loss(X, tf.tensor1d([1, 10], 'int32'))).toThrow(/y\[1\] = 10 is out of range/);
    });
    net.dispose();
    tf.dispose([X, y]);
  });
});
