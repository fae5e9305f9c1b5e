/**
 * ConvNet (src/classifiers/convnet.ts), checked as the notebooks check their models: parameter names and shapes,
 * He initialisation, every gradient against the autodiff twin (reference/convnet.ts) on tiny configurations that
 * cover every option, the initial loss, test mode with batchnorm's running statistics, state round trips, the
 * same results on wasm (the backend it trains on) as on cpu, no leaked tensors, and errors for bad configurations.
 */
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../support/backend';
import { initBackend } from '../../runtime/backend';
import { Rng } from '../../src/random';
import { ConvNet, ConvNetOptions, DEFAULT_BLOCKS, describeBlocks } from '../../src/classifiers/convnet';
import { AUTODIFF_BOUND, relError } from '../../src/gradcheck';
import { autodiffGrads, compareGrads, CrossCheckRow } from '../../reference/crosscheck';
import { ConvNetRefOptions, convNetLossRef, convNetScoresRef } from '../../reference/convnet';
import { expectAllPass } from '../support/expect';

beforeAll(() => useBackend());

const INPUT: [number, number, number] = [8, 8, 3];

/** Seeded images [n, 8, 8, 3] and labels in 0..9. */
function batch(seed: number, n: number, input: [number, number, number] = INPUT): { X: tf.Tensor4D; y: tf.Tensor1D } {
  const rng = new Rng(seed);
  const X = rng.randn([n, ...input]) as tf.Tensor4D;
  const y = tf.tensor1d(Array.from({ length: n }, () => rng.int(10)), 'int32');
  return { X, y };
}

function refOptions(net: ConvNet): ConvNetRefOptions {
  const o = net.options;
  return { blocks: o.blocks, numHidden: o.hiddenDims.length, batchnorm: o.batchnorm, reg: o.reg };
}

/**
 * The bound for hand-written vs autodiff gradients of these nets: 5 * AUTODIFF_BOUND. Both sides are float32, and
 * every batchnorm backward subtracts two means from its upstream gradient, a cancellation that multiplies the
 * rounding error; through four batchnorm layers the first layer's gradients differ by up to 1.3e-5 (measured over
 * seeds, the same with tf.sum as with reduce.ts's column sums). A wrong gradient is off by 1e-2 or more.
 */
const BOUND = 5 * AUTODIFF_BOUND;

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

/** Tiny configurations that together use every option: pools anywhere, hidden layers, batchnorm, filter size, reg. */
const CONFIGS: [string, ConvNetOptions][] = [
  ['batchnorm, pools after blocks 2 and 3, one hidden layer, reg', { blocks: [{ filters: 4 }, { filters: 4, pool: true }, { filters: 6, pool: true }], hiddenDims: [5], batchnorm: true, reg: 0.3 }],
  ['no batchnorm, pool after block 1, no hidden layer', { blocks: [{ filters: 4, pool: true }, { filters: 5 }], hiddenDims: [], batchnorm: false, reg: 0 }],
  ['batchnorm, 5x5 filters, no pool, no hidden layer', { inputDim: [4, 4, 3], blocks: [{ filters: 3 }, { filters: 4 }], filterSize: 5, batchnorm: true, reg: 0 }],
  ['no batchnorm, two hidden layers, reg', { blocks: [{ filters: 4, pool: true }, { filters: 4, pool: true }], hiddenDims: [6, 5], batchnorm: false, reg: 0.1 }],
  // No pool here: after a 1x1 block, pixels whose inputs the relu zeroed all get the bias, and a 2x2 window of
  // equal maxima has no gradient to compare (the fast pool and tf.maxPool's gradient split such ties differently).
  ['batchnorm, two hidden layers, 1x1 filters', { blocks: [{ filters: 3 }, { filters: 4 }], filterSize: 1, hiddenDims: [6, 5], batchnorm: true, reg: 0.05 }],
];

describe('ConvNet', () => {
  it('numbers its parameters by layer, with NHWC filter shapes, batchnorm parameters only with batchnorm', () => {
    const options: ConvNetOptions = { inputDim: INPUT, blocks: [{ filters: 4 }, { filters: 4, pool: true }, { filters: 6, pool: true }], hiddenDims: [5] };
    const bn = new ConvNet(options);
    const plain = new ConvNet({ ...options, batchnorm: false });
    const shapes = (net: ConvNet) => Object.fromEntries(Object.entries(net.params).map(([k, v]) => [k, v.shape]));
    const weights = {
      W1: [3, 3, 3, 4],
      b1: [4],
      W2: [3, 3, 4, 4],
      b2: [4],
      W3: [3, 3, 4, 6],
      b3: [6],
      W4: [2 * 2 * 6, 5],
      b4: [5],
      W5: [5, 10],
      b5: [10],
    };
    expect(shapes(plain)).toEqual(weights);
    expect(shapes(bn)).toEqual({ ...weights, gamma1: [4], beta1: [4], gamma2: [4], beta2: [4], gamma3: [6], beta3: [6], gamma4: [5], beta4: [5] });
    expect(bn.numLayers).toBe(5);
    expect(bn.featureDim).toEqual([2, 2, 6]);
    expect(Array.from(bn.params.gamma2.dataSync())).toEqual([1, 1, 1, 1]);
    expect(Array.from(bn.params.beta4.dataSync())).toEqual([0, 0, 0, 0, 0]);
    expect(describeBlocks(options.blocks!)).toBe('4-4p-6p');
    expect(describeBlocks(DEFAULT_BLOCKS)).toBe('32-32p-64-64p-128p');
    bn.dispose();
    plain.dispose();
  });

  it('initialises weights by He (std sqrt(2 / fanIn)), the output layer by sqrt(1 / fanIn), or all with weightScale', () => {
    const net = new ConvNet({ inputDim: INPUT, blocks: [{ filters: 64 }, { filters: 64, pool: true }], hiddenDims: [200], seed: 1 });
    const std = (t: tf.Tensor) => tf.tidy(() => Math.sqrt(tf.moments(t).variance.dataSync()[0]));
    // fanIn: 3*3*3, 3*3*64, 4*4*64; thousands of draws each, so the sample std is within a few percent. The output
    // layer (fanIn 200), which no relu follows, has std sqrt(1 / fanIn).
    const fanIns: Record<string, number> = { W1: 27, W2: 576, W3: 1024 };
    for (const [w, fanIn] of Object.entries(fanIns)) expect(std(net.params[w]) / Math.sqrt(2 / fanIn)).toBeCloseTo(1, 1);
    expect(std(net.params.W4) / Math.sqrt(1 / 200)).toBeCloseTo(1, 1);
    expect(Array.from(net.params.b2.dataSync()).every((v) => v === 0)).toBe(true);
    net.dispose();
    const fixed = new ConvNet({ inputDim: INPUT, blocks: [{ filters: 64 }], weightScale: 0.05, seed: 1 });
    expect(std(fixed.params.W1) / 0.05).toBeCloseTo(1, 1);
    expect(std(fixed.params.W2) / 0.05).toBeCloseTo(1, 1);
    fixed.dispose();
  });

  for (const [name, options] of CONFIGS) {
    it(`every gradient matches autodiff: ${name}`, () => {
      const net = new ConvNet({ inputDim: INPUT, seed: 3, ...options });
      const { X, y } = batch(4, 3, net.options.inputDim);
      const o = refOptions(net);
      let rows: CrossCheckRow[] = [];
      let loss = NaN;
      let refLoss = NaN;
      tf.tidy(() => {
        const r = net.loss(X, y);
        const auto = autodiffGrads((p) => convNetLossRef(p, X, y, o), net.params);
        rows = compareGrads(`ConvNet (${name})`, r.grads, auto, BOUND);
        loss = r.loss.dataSync()[0];
        refLoss = convNetLossRef(net.params, X, y, o).dataSync()[0];
      });
      expectAllPass(rows, BOUND);
      expect(rows.map((r) => r.param).sort()).toEqual(Object.keys(net.params).sort());
      expect(Math.abs(loss - refLoss)).toBeLessThan(1e-5 * Math.abs(refLoss));
      // Real gradients, not zeros that pass any comparison; except the biases of layers followed by batchnorm,
      // whose gradient is zero in exact arithmetic (batchnorm removes any constant shift).
      const bnBias = (param: string) => net.options.batchnorm && /^b\d+$/.test(param) && `gamma${param.slice(1)}` in net.params;
      for (const r of rows) if (!bnBias(r.param)) expect(r.scale).toBeGreaterThan(1e-3);
      net.dispose();
      tf.dispose([X, y]);
    });
  }

  it('initial loss is ln(10) with small weights and no batchnorm, near it with He and batchnorm; reg raises it', () => {
    const { X, y } = batch(5, 16);
    const lossOf = (options: ConvNetOptions) => {
      const net = new ConvNet({ inputDim: INPUT, blocks: [{ filters: 8 }, { filters: 8, pool: true }], seed: 6, ...options });
      const l = tf.tidy(() => net.loss(X, y).loss.dataSync()[0]);
      net.dispose();
      return l;
    };
    // Small weights shrink every layer's output (batchnorm would scale it back up): the scores are near 0.
    const small = lossOf({ weightScale: 1e-3, batchnorm: false });
    expect(Math.abs(small - Math.log(10))).toBeLessThan(1e-3);
    expect(lossOf({ weightScale: 1e-3, batchnorm: false, reg: 1e4 })).toBeGreaterThan(small + 1e-3);
    // He with batchnorm: the scores start with a standard deviation near 1, which costs a little over ln(10).
    const he = lossOf({});
    expect(he).toBeGreaterThan(Math.log(10) - 0.3);
    expect(he).toBeLessThan(Math.log(10) + 0.7);
    tf.dispose([X, y]);
  });

  it('test mode uses the running statistics: reference scores, unchanged statistics, one image scored alone as in a batch', () => {
    const net = new ConvNet({ inputDim: INPUT, ...CONFIGS[0][1], seed: 7 });
    const { X, y } = batch(8, 4);
    expect(() => net.loss(X)).toThrow(/test mode needs bnParam.runningMean/);
    for (let i = 0; i < 3; i++) tf.dispose(tf.tidy(() => net.loss(X, y).loss));
    const state = net.state();
    expect(Object.keys(state).sort()).toEqual(['runningMean1', 'runningMean2', 'runningMean3', 'runningMean4', 'runningVar1', 'runningVar2', 'runningVar3', 'runningVar4']);
    const before = Object.fromEntries(Object.entries(state).map(([k, v]) => [k, Array.from(v.dataSync())]));
    const scores = net.loss(X);
    expect(scores.shape).toEqual([4, 10]);
    const expected = convNetScoresRef(net.params, X, refOptions(net), state);
    expect(maxAbsDiff(scores, expected)).toBeLessThan(1e-4);
    // Train-mode scores differ: the batch statistics are not the running ones.
    const trainScores = convNetScoresRef(net.params, X, refOptions(net));
    expect(maxAbsDiff(scores, trainScores)).toBeGreaterThan(1e-2);
    const after = Object.fromEntries(Object.entries(net.state()).map(([k, v]) => [k, Array.from(v.dataSync())]));
    expect(after).toEqual(before);
    const one = net.loss(tf.slice(X, [0, 0, 0, 0], [1, ...INPUT]));
    expect(maxAbsDiff(one, tf.slice(scores, [0, 0], [1, 10]))).toBeLessThan(1e-4);
    tf.dispose([scores, expected, trainScores, one, X, y]);
    net.dispose();
  });

  it('state() and loadState() carry the running statistics to another net; loadState refuses what does not fit', () => {
    const options: ConvNetOptions = { inputDim: INPUT, ...CONFIGS[0][1], seed: 7 };
    const a = new ConvNet(options);
    const b = new ConvNet(options);
    const { X, y } = batch(9, 4);
    tf.dispose(tf.tidy(() => a.loss(X, y).loss));
    b.loadState(Object.fromEntries(Object.entries(a.state()).map(([k, v]) => [k, tf.clone(v)])));
    const sa = a.loss(X);
    const sb = b.loss(X);
    expect(maxAbsDiff(sa, sb)).toBe(0);
    const wrong = tf.zeros([7]);
    expect(() => b.loadState({ runningMean1: wrong })).toThrow("ConvNet.loadState: 'runningMean1' must be float32 [4], got float32 shape [7]");
    expect(() => b.loadState({ runningMean5: wrong })).toThrow("ConvNet.loadState: 'runningMean5' is not the running statistic of a batchnorm layer");
    tf.dispose([sa, sb, wrong, X, y]);
    a.dispose();
    b.dispose();
  });

  it('gives on wasm the loss, gradients and test scores it gives on cpu', async () => {
    // The same fresh net (same seed) on each backend: one training pass, then scores with the running statistics
    // that pass left. Plain arrays carry the results across the backend switch.
    const { X: Xc, y: yc } = batch(10, 4);
    const inputs = { X: Float32Array.from(Xc.dataSync()), y: Int32Array.from(yc.dataSync()) };
    tf.dispose([Xc, yc]);
    const run = () => {
      const net = new ConvNet({ inputDim: INPUT, ...CONFIGS[0][1], seed: 11 });
      const X = tf.tensor4d(inputs.X, [4, ...INPUT]);
      const y = tf.tensor1d(inputs.y, 'int32');
      const out = tf.tidy(() => {
        const { loss, grads } = net.loss(X, y);
        const scores = net.loss(X);
        return {
          loss: loss.dataSync()[0],
          grads: Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, Float32Array.from(g.dataSync())])),
          scores: Float32Array.from(scores.dataSync()),
        };
      });
      net.dispose();
      tf.dispose([X, y]);
      return out;
    };
    const onCpu = run();
    try {
      await initBackend('wasm');
      expect(tf.getBackend()).toBe('wasm');
      const onWasm = run();
      expect(Math.abs(onWasm.loss - onCpu.loss)).toBeLessThan(1e-5 * onCpu.loss);
      // The biases before batchnorm (b1 to b4) have zero gradients in exact arithmetic: rounding noise on both sides.
      const rel = (a: Float32Array, b: Float32Array) => relError(a, b).norm;
      const errors = Object.keys(onCpu.grads)
        .filter((k) => !/^b[1234]$/.test(k))
        .map((k) => `${k}: ${rel(onWasm.grads[k], onCpu.grads[k]).toExponential(2)}`)
        .filter((line) => Number(line.split(': ')[1]) > 1e-4);
      expect(errors).toEqual([]);
      expect(rel(onWasm.scores, onCpu.scores)).toBeLessThan(1e-4);
    } finally {
      await useBackend();
    }
  });

  it('constructing and disposing leaves no tensors; forward + backward and scoring leak none', () => {
    const before = tf.memory().numTensors;
    for (const [, options] of CONFIGS) new ConvNet({ inputDim: INPUT, ...options }).dispose();
    expect(tf.memory().numTensors).toBe(before);
    for (const [, options] of CONFIGS) {
      const net = new ConvNet({ inputDim: INPUT, seed: 12, ...options });
      const { X, y } = batch(13, 2, net.options.inputDim);
      // The first training pass creates the running statistics; from then on the count must not move.
      tf.dispose(tf.tidy(() => net.loss(X, y).loss));
      const steady = tf.memory().numTensors;
      for (let i = 0; i < 2; i++) {
        const { loss, grads } = net.loss(X, y);
        tf.dispose([loss, ...Object.values(grads)]);
        net.loss(X).dispose();
      }
      expect(tf.memory().numTensors).toBe(steady);
      net.dispose();
      tf.dispose([X, y]);
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it('refuses bad configurations and inputs, naming the option or argument and what it got', () => {
    const bad: [ConvNetOptions, string][] = [
      [{ blocks: [] }, 'ConvNet: blocks must list at least one conv block { filters, pool? }, got []'],
      [{ blocks: [{ filters: 4 }, { filters: 0 }] }, 'ConvNet: blocks[1].filters must be a positive integer, got {"filters":0}'],
      [{ filterSize: 4 }, 'ConvNet: filterSize must be a positive odd integer, got 4'],
      [{ hiddenDims: [10, -1] }, 'ConvNet: hiddenDims must be positive integers, got [10,-1]'],
      [{ inputDim: [8, 8] as unknown as [number, number, number] }, 'ConvNet: inputDim must be three positive integers [H, W, C], got [8,8]'],
      [{ numClasses: 0 }, 'ConvNet: numClasses must be a positive integer, got 0'],
      [{ reg: -1 }, 'ConvNet: reg must be >= 0, got -1'],
      [{ weightScale: 0 }, 'ConvNet: weightScale must be positive or null (He), got 0'],
      [
        { inputDim: [6, 6, 3], blocks: [{ filters: 4, pool: true }, { filters: 4, pool: true }] },
        'ConvNet: blocks[1] pools 2x2, which needs an even height and width, but its input is 3 x 3 (inputDim [6,6,3])',
      ],
    ];
    const before = tf.memory().numTensors;
    for (const [options, message] of bad) expect(() => new ConvNet({ inputDim: INPUT, ...options })).toThrow(message);
    expect(tf.memory().numTensors).toBe(before);

    const net = new ConvNet({ inputDim: INPUT, blocks: [{ filters: 4, pool: true }] });
    const rows = tf.zeros([2, 192]);
    const { X, y } = batch(14, 2);
    const yFloat = tf.zeros([2]);
    expect(() => net.loss(rows)).toThrow('ConvNet.loss: X must be [N, 8, 8, 3] (NHWC), got shape [2,192]');
    expect(() => net.loss(X, yFloat as tf.Tensor1D)).toThrow('ConvNet.loss: y must be int32 class labels, got dtype float32');
    expect(() => net.loss(X, tf.tensor1d([1], 'int32'))).toThrow('ConvNet.loss: y must be [N] with N = 2');
    tf.dispose([rows, X, y, yFloat]);
    net.dispose();
  });
});
