/**
 * Network visualisation, as the course's NetworkVisualization notebook checks it and a little more: every model
 * kind's input gradient (hand-written backward) against autodiff, the models loaded from checkpoints, saliency of a model that sees one pixel, fooling a
 * tiny trained convnet, class visualisation raising its target's probability inside the valid pixel range, the
 * jitter and blur regularisers, deprocessing, the PNGs written, and no leaked tensors.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../support/backend';
import { Rng } from '../../src/random';
import { ThreeLayerConvNet, ThreeLayerConvNetOptions } from '../../src/classifiers/cnn';
import { FullyConnectedNet, Normalization } from '../../src/classifiers/fc_net';
import { Solver } from '../../src/solver';
import type { LossAndGrads, Model } from '../../src/model';
import { relError, AUTODIFF_BOUND } from '../../src/gradcheck';
import { computeSaliencyMaps, objectiveScoresGradient } from '../../src/vis/saliency';
import { makeFoolingImages } from '../../src/vis/fooling';
import { createClassVisualization, gaussianBlur, gaussianKernel1d, roll } from '../../src/vis/class_visualization';
import { classVisualizationFigure, deprocess, differenceImages, foolingFigure, hotColormap, saliencyFigure } from '../../runtime/vis/figures';
import { ConvNet } from '../../src/classifiers/convnet';
import { CheckpointContents, saveCheckpoint } from '../../runtime/checkpoint';
import { ResNet } from '../../src/classifiers/resnet';
import { Airbench } from '../../src/classifiers/airbench';
import { VIS_MODEL_KINDS, VisModel, bestCheckpoint, loadVisModel } from '../../runtime/vis_model';
import { convNetScoresRef, fcNetScoresRef, inputGradientRef, threeLayerConvNetScoresRef } from '../../reference/vis';

const INPUT: [number, number, number] = [8, 8, 3];
const AIRBENCH_INPUT: [number, number, number] = [16, 16, 3];
const TINY: ThreeLayerConvNetOptions = { inputDim: INPUT, numFilters: 4, filterSize: 3, hiddenDim: 6, numClasses: 5, weightScale: 0.3 };

let dir: string;
beforeAll(async () => {
  await useBackend();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'network-vis-spec-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs f and asserts that it leaves no tensor behind once its result is disposed. */
function noLeaks<T extends tf.TensorContainer>(f: () => T): void {
  const before = tf.memory().numTensors;
  tf.dispose(f());
  expect(tf.memory().numTensors).toBe(before);
}

/** Frees what a train-mode loss() returns. */
function disposeLoss(r: LossAndGrads): void {
  tf.dispose([r.loss, ...Object.values(r.grads)]);
}

/**
 * Running statistics from three train-mode steps on X plus noise (labels 0, 1, 2, ...), so that test mode uses
 * real, non-trivial ones.
 */
function warmBatchnorm(net: Model, X: tf.Tensor4D, rng: Rng): void {
  const y = tf.tensor1d(Array.from({ length: X.shape[0] }, (_, i) => i), 'int32');
  for (let i = 0; i < 3; i++) {
    const noisy = tf.tidy(() => tf.add(X, rng.randn(X.shape)));
    disposeLoss(net.loss(noisy, y));
    noisy.dispose();
  }
  y.dispose();
}

/** Fails with the name, the relative error and the bound when two gradients differ. */
function expectClose(name: string, hand: tf.Tensor, auto: tf.Tensor, bound = AUTODIFF_BOUND): void {
  expect(hand.shape).toEqual(auto.shape);
  const err = relError(hand, auto).norm;
  expect({ name, relError: err, pass: err <= bound }).toEqual({ name, relError: err, pass: true });
}

describe('input gradients from the hand-written backward passes match autodiff', () => {
  for (const batchnorm of [false, true]) {
    it(`ThreeLayerConvNet, batchnorm=${batchnorm}, test mode`, () => {
      const rng = new Rng(11);
      const net = new ThreeLayerConvNet({ ...TINY, batchnorm, seed: 2 });
      const X = rng.randn([3, ...INPUT]) as tf.Tensor4D;
      const dscores = rng.randn([3, 5]) as tf.Tensor2D;
      if (batchnorm) warmBatchnorm(net, X, rng);
      const before = tf.memory().numTensors;
      const { scores, dX } = net.inputGradient(X, () => tf.clone(dscores));
      expect(tf.memory().numTensors).toBe(before + 2);
      const params = Object.fromEntries(Object.entries(net.params).map(([k, v]) => [k, v as tf.Tensor]));
      const bn = batchnorm ? { mean: net.bnParam.runningMean!, variance: net.bnParam.runningVar! } : undefined;
      const auto = inputGradientRef((x) => threeLayerConvNetScoresRef(params, x, bn), X, dscores);
      expectClose('dX', dX, auto);
      const testScores = net.loss(X);
      expectClose('scores', scores, testScores);
      tf.dispose([scores, dX, auto, testScores, X, dscores]);
      net.dispose();
    });
  }

  for (const normalization of ['none', 'batchnorm', 'layernorm'] as Normalization[]) {
    it(`FullyConnectedNet, ${normalization}, dropout off at test time, image input keeps its shape`, () => {
      const rng = new Rng(12);
      const net = new FullyConnectedNet({ hiddenDims: [7, 6], inputDim: 8 * 8 * 3, numClasses: 4, normalization, dropoutKeepRatio: 0.5, weightScale: 0.2, seed: 3 });
      const X = rng.randn([3, ...INPUT]) as tf.Tensor4D;
      const dscores = rng.randn([3, 4]) as tf.Tensor2D;
      if (normalization === 'batchnorm') {
        const y = tf.tensor1d([0, 1, 2], 'int32');
        disposeLoss(net.loss(X, y));
        y.dispose();
      }
      const { scores, dX } = net.inputGradient(X, () => tf.clone(dscores));
      expect(dX.shape).toEqual([3, ...INPUT]);
      const params = Object.fromEntries(Object.entries(net.params).map(([k, v]) => [k, v as tf.Tensor]));
      const bn = net.bnParams.map((b) => ({ mean: b.runningMean!, variance: b.runningVar! }));
      const auto = inputGradientRef((x) => fcNetScoresRef(params, x, { numLayers: 3, normalization, bn }), X, dscores);
      expectClose('dX', dX, auto);
      // Test mode twice gives the same scores: no dropout mask was drawn.
      const again = net.loss(X);
      expectClose('scores', scores, again);
      tf.dispose([scores, dX, auto, again, X, dscores]);
      net.dispose();
    });
  }

  for (const [batchnorm, hiddenDims] of [[false, []], [true, []], [true, [5]]] as [boolean, number[]][]) {
    it(`ConvNet, batchnorm=${batchnorm}, hidden [${hiddenDims}], test mode, the first layer's full dx`, () => {
      const rng = new Rng(13);
      const blocks = [{ filters: 3 }, { filters: 4, pool: true }];
      const net = new ConvNet({ inputDim: INPUT, blocks, hiddenDims, numClasses: 4, batchnorm, seed: 8 });
      const X = rng.randn([3, ...INPUT]) as tf.Tensor4D;
      const dscores = rng.randn([3, 4]) as tf.Tensor2D;
      if (batchnorm) warmBatchnorm(net, X, rng);
      const before = tf.memory().numTensors;
      const { scores, dX } = net.inputGradient(X, () => tf.clone(dscores));
      expect(tf.memory().numTensors).toBe(before + 2);
      expect(dX.shape).toEqual([3, ...INPUT]);
      const params = Object.fromEntries(Object.entries(net.params).map(([k, v]) => [k, v as tf.Tensor]));
      const o = { blocks, numHidden: hiddenDims.length, batchnorm, reg: 0 };
      const running = batchnorm ? net.state() : undefined;
      if (running) expect(Object.keys(running).length).toBe(2 * (blocks.length + hiddenDims.length));
      const auto = inputGradientRef((x) => convNetScoresRef(params, x, o, running), X, dscores);
      expectClose('dX', dX, auto);
      const testScores = net.loss(X);
      expectClose('scores', scores, testScores);
      tf.dispose([scores, dX, auto, testScores, X, dscores]);
      net.dispose();
    });
  }

  it('refuses an upstream gradient of the wrong shape, naming the method', () => {
    const net = new ThreeLayerConvNet(TINY);
    const X = tf.zeros([2, ...INPUT]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    expect(() => net.inputGradient(X, () => tf.zeros([2, 3]))).toThrow('ThreeLayerConvNet.inputGradient: dscores must return [2,5] like the scores, got shape [2,3]');
    expect(() => net.inputGradient(tf.zeros([2, 4, 4, 3]) as tf.Tensor4D, (s) => s)).toThrow('X must be [N, 8, 8, 3] (NHWC), got shape [2,4,4,3]');
    const convNet = new ConvNet({ inputDim: INPUT, blocks: [{ filters: 2 }], numClasses: 5, batchnorm: false });
    expect(() => convNet.inputGradient(X, () => tf.zeros([2, 3]))).toThrow('ConvNet.inputGradient: dscores must return [2,5] like the scores, got shape [2,3]');
    expect(tf.memory().numTensors).toBe(before + 1 + Object.keys(convNet.params).length);
    tf.dispose(X);
    net.dispose();
    convNet.dispose();
  });
});

describe('models from checkpoints, through the one input-gradient interface', () => {
  /** Every kind the project trains, small, with batchnorm statistics from one train-mode step where it has them. */
  function models(): VisModel[] {
    const ms: VisModel[] = [
      new FullyConnectedNet({ hiddenDims: [6], inputDim: 8 * 8 * 3, numClasses: 4, normalization: 'batchnorm', weightScale: 0.2, seed: 1 }),
      new ThreeLayerConvNet({ ...TINY, numClasses: 4, batchnorm: true, seed: 2 }),
      new ConvNet({ inputDim: INPUT, blocks: [{ filters: 3, pool: true }], hiddenDims: [5], numClasses: 4, seed: 3 }),
      new ResNet({ inputDim: INPUT, width: 2, numClasses: 4, seed: 4 }),
    ];
    const rng = new Rng(51);
    const X = rng.randn([4, ...INPUT]);
    const y = tf.tensor1d([0, 1, 2, 3], 'int32');
    for (const m of ms) disposeLoss(m.loss(X, y));
    // Airbench needs 16x16 images at least, and whitening filters from images before its first step.
    const airbench = new Airbench({ inputDim: AIRBENCH_INPUT, widths: [2, 3, 3], numClasses: 4, seed: 5 });
    const XA = rng.randn([4, ...AIRBENCH_INPUT]) as tf.Tensor4D;
    airbench.initWhitening(XA);
    disposeLoss(airbench.loss(XA, y));
    ms.push(airbench);
    tf.dispose([X, XA, y]);
    return ms;
  }

  /** Saves a model as a Solver-less checkpoint that records val accuracy `valAcc` at epoch `epoch`. */
  function save(base: string, m: VisModel, epoch: number, valAcc: number): void {
    saveCheckpoint(base, {
      model: { kind: m.kind, options: m.options },
      params: m.params,
      modelState: m.state(),
      bestParams: {},
      optimizer: null,
      epoch,
      iteration: epoch,
      solver: null,
      lossHistory: [],
      trainAccHistory: [],
      valAccHistory: [0.1, valAcc],
      bestValAcc: valAcc,
    });
  }

  it('loadVisModel rebuilds every kind with its weights and running statistics: same scores and dX', () => {
    const rng = new Rng(52);
    const X8 = rng.randn([2, ...INPUT]) as tf.Tensor4D;
    const X16 = rng.randn([2, ...AIRBENCH_INPUT]) as tf.Tensor4D;
    const upstream = rng.randn([2, 4]) as tf.Tensor2D;
    const kinds: string[] = [];
    for (const m of models()) {
      const X = m.kind === 'Airbench' ? X16 : X8;
      const base = path.join(dir, `vis_${m.kind}`);
      save(base, m, 1, 0.5);
      const before = tf.memory().numTensors;
      const loaded = loadVisModel(`${base}.json`);
      expect(loaded.kind).toBe(m.kind);
      kinds.push(loaded.kind);
      const a = m.inputGradient(X, () => tf.clone(upstream));
      const b = loaded.inputGradient(X, () => tf.clone(upstream));
      expect(relError(a.scores, b.scores).norm).toBeLessThan(1e-6);
      expect(relError(a.dX, b.dX).norm).toBeLessThan(1e-6);
      tf.dispose([a.scores, a.dX, b.scores, b.dX]);
      loaded.dispose();
      expect(tf.memory().numTensors).toBe(before);
      m.dispose();
    }
    expect(kinds.sort()).toEqual([...VIS_MODEL_KINDS].sort());
    tf.dispose([X8, X16, upstream]);
  });

  it('loadVisModel names the kinds it takes; bestCheckpoint picks the highest validation accuracy, skipping what does not load', () => {
    const ms = models();
    const folder = fs.mkdtempSync(path.join(dir, 'ckpts-'));
    expect(bestCheckpoint(path.join(folder, 'none'))).toBeNull();
    expect(bestCheckpoint(folder)).toBeNull();
    save(path.join(folder, 'ckpt_epoch_1'), ms[2], 1, 0.6);
    save(path.join(folder, 'ckpt_epoch_2'), ms[2], 2, 0.7);
    save(path.join(folder, 'ckpt_epoch_3'), ms[2], 3, 0.65);
    fs.writeFileSync(path.join(folder, 'ckpt_epoch_4.json'), '{ not json');
    saveCheckpoint(path.join(folder, 'other'), { ...emptyContents(), model: { kind: 'KNearestNeighbor' } });
    const skipped: string[] = [];
    const best = bestCheckpoint(folder, (f) => skipped.push(path.basename(f)));
    expect(best).toEqual({ manifestPath: path.join(folder, 'ckpt_epoch_2.json'), epoch: 2, valAcc: 0.7 });
    expect(skipped).toEqual(['ckpt_epoch_4.json']);
    expect(() => loadVisModel(path.join(folder, 'other'))).toThrow(`holds a KNearestNeighbor; network visualisation needs one of ${VIS_MODEL_KINDS.join(', ')}`);
    for (const m of ms) m.dispose();
  });
});

/** A checkpoint with no tensors and no history. */
function emptyContents(): CheckpointContents {
  return {
    model: null,
    params: {},
    modelState: {},
    bestParams: {},
    optimizer: null,
    epoch: 0,
    iteration: 0,
    solver: null,
    lossHistory: [],
    trainAccHistory: [],
    valAccHistory: [],
    bestValAcc: 0,
  };
}

describe('saliency maps', () => {
  it('are max over channels of |d score_y / dX|, the autodiff gradient of the true class score', () => {
    const rng = new Rng(21);
    const net = new ThreeLayerConvNet({ ...TINY, seed: 5 });
    const X = rng.randn([4, ...INPUT]) as tf.Tensor4D;
    const y = tf.tensor1d([0, 3, 4, 1], 'int32');
    const saliency = computeSaliencyMaps(net, X, y);
    expect(saliency.shape).toEqual([4, 8, 8]);
    const params = Object.fromEntries(Object.entries(net.params).map(([k, v]) => [k, v as tf.Tensor]));
    const oneHot = tf.cast(tf.oneHot(y, 5), 'float32');
    const auto = inputGradientRef((x) => threeLayerConvNetScoresRef(params, x), X, oneHot);
    const expected = tf.max(tf.abs(auto), 3);
    expectClose('saliency', saliency, expected);
    noLeaks(() => computeSaliencyMaps(net, X, y));
    expect(() => computeSaliencyMaps(net, X, tf.tensor1d([0, 1, 2, 5], 'int32'))).toThrow('computeSaliencyMaps: y[3] must be a class index in 0..4, got 5');
    tf.dispose([X, y, saliency, oneHot, auto, expected]);
    net.dispose();
  });

  it("the 'logProb' objective's gradient is autodiff's gradient of log softmax(scores)[target]", () => {
    const rng = new Rng(22);
    const net = new ThreeLayerConvNet({ ...TINY, seed: 6 });
    const X = rng.randn([3, ...INPUT]) as tf.Tensor4D;
    const target = tf.tensor1d([4, 0, 2], 'int32');
    const { scores, dX } = net.inputGradient(X, (s) => objectiveScoresGradient(s, target, 'logProb'));
    const params = Object.fromEntries(Object.entries(net.params).map(([k, v]) => [k, v as tf.Tensor]));
    const oneHot = tf.cast(tf.oneHot(target, 5), 'float32');
    const auto = inputGradientRef((x) => tf.logSoftmax(threeLayerConvNetScoresRef(params, x)), X, oneHot);
    expectClose('dX', dX, auto);
    const scoreGrad = objectiveScoresGradient(scores, target, 'score');
    expect(scoreGrad.arraySync()).toEqual(oneHot.arraySync());
    expect(() => objectiveScoresGradient(scores, target, 'margin' as never)).toThrow("objectiveScoresGradient: objective must be 'score' or 'logProb', got 'margin'");
    tf.dispose([X, target, scores, dX, oneHot, auto, scoreGrad]);
    net.dispose();
  });

  it('of a model that only looks at one pixel are nonzero at that pixel only', () => {
    // A FullyConnectedNet whose first layer reads one input value: W1 is zero except the row of pixel (2, 5),
    // channel 1 (row (h * W + w) * C + c of the flattened NHWC image); b1 = 1 keeps the hidden units active.
    const [H, W, C] = INPUT;
    const net = new FullyConnectedNet({ hiddenDims: [5], inputDim: H * W * C, numClasses: 3, seed: 4, weightScale: 0.5 });
    const row = (2 * W + 5) * C + 1;
    const rng = new Rng(9);
    const w1 = new Float32Array(H * W * C * 5);
    w1.set(rng.normalArray(5), row * 5);
    net.params.W1.assign(tf.tensor2d(w1, [H * W * C, 5]));
    net.params.b1.assign(tf.ones([5]));
    const X = tf.mul(rng.randn([3, H, W, C]), 0.1) as tf.Tensor4D;
    const saliency = computeSaliencyMaps(net, X, tf.tensor1d([0, 1, 2], 'int32'));
    const s = saliency.arraySync();
    for (let n = 0; n < 3; n++) {
      for (let h = 0; h < H; h++) {
        for (let w = 0; w < W; w++) {
          if (h === 2 && w === 5) expect(s[n][h][w]).toBeGreaterThan(0);
          else expect(s[n][h][w]).toBe(0);
        }
      }
    }
    tf.dispose([X, saliency]);
    net.dispose();
  });
});

/**
 * A tiny ThreeLayerConvNet trained until it classifies its data: 3 classes of 8x8 images, class k brighter in
 * channel k (noise of std 1 plus 2 in that channel). Returns the net and a few images it classifies correctly.
 */
function trainedTinyNet(): { net: ThreeLayerConvNet; X: tf.Tensor4D; y: number[] } {
  const rng = new Rng(31);
  const n = 60;
  const data = new Float32Array(n * 8 * 8 * 3);
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    labels.push(i % 3);
    for (let p = 0; p < 64; p++) for (let c = 0; c < 3; c++) data[(i * 64 + p) * 3 + c] = rng.normal() + (c === i % 3 ? 2 : 0);
  }
  const X = tf.tensor4d(data, [n, ...INPUT]);
  const y = tf.tensor1d(labels, 'int32');
  const net = new ThreeLayerConvNet({ ...TINY, hiddenDim: 16, numClasses: 3, weightScale: 0.1, seed: 7 });
  const solver = new Solver(net, { XTrain: X, yTrain: y, XVal: X, yVal: y }, {
    updateRule: 'adam',
    optimConfig: { learningRate: 1e-2 },
    batchSize: 20,
    numEpochs: 8,
    verbose: false,
    seed: 1,
  });
  solver.train();
  solver.dispose();
  const predTensor = tf.tidy(() => tf.argMax(net.loss(X), 1));
  const pred = predTensor.dataSync();
  predTensor.dispose();
  const correct = labels.map((l, i) => (pred[i] === l ? i : -1)).filter((i) => i >= 0).slice(0, 6);
  const picked = tf.gather(X, correct) as tf.Tensor4D;
  tf.dispose([X, y]);
  return { net, X: picked, y: correct.map((i) => labels[i]) };
}

describe('fooling images and class visualisation on a tiny trained convnet', () => {
  let net: ThreeLayerConvNet;
  let X: tf.Tensor4D;
  let y: number[];
  beforeAll(() => ({ net, X, y } = trainedTinyNet()));
  afterAll(() => {
    net.dispose();
    X.dispose();
  });

  it('trains to classify at least 6 images correctly', () => {
    expect(X.shape[0]).toBe(6);
  });

  it('fools every image into its target class within 100 steps, moving each image a little', () => {
    const targets = y.map((l) => (l + 1) % 3);
    const before = tf.memory().numTensors;
    const seen: number[] = [];
    const result = makeFoolingImages(net, X, targets, { learningRate: 0.5, maxIters: 100, onIteration: (it) => seen.push(it) });
    expect(result.fooled).toEqual(targets.map(() => true));
    expect(result.predicted).toEqual(targets);
    const predicted = tf.tidy(() => Array.from(tf.argMax(net.loss(result.XFooling), 1).dataSync()));
    expect(predicted).toEqual(targets);
    for (let i = 0; i < targets.length; i++) {
      expect(result.iterations[i]).toBeGreaterThan(0);
      expect(result.iterations[i]).toBeLessThanOrEqual(100);
      // Each step has L2 length 0.5: the change is at most that times the steps, and not zero.
      expect(result.l2[i]).toBeLessThanOrEqual(0.5 * result.iterations[i] + 1e-3);
      expect(result.linf[i]).toBeGreaterThan(0);
    }
    expect(seen.length).toBe(Math.max(...result.iterations));
    result.XFooling.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("fools every image with the 'logProb' objective too", () => {
    const targets = y.map((l) => (l + 2) % 3);
    const result = makeFoolingImages(net, X, targets, { learningRate: 0.5, maxIters: 100, objective: 'logProb' });
    expect(result.fooled).toEqual(targets.map(() => true));
    expect(result.predicted).toEqual(targets);
    result.XFooling.dispose();
  });

  it('takes no step for an image already in its target class, and gives up after maxIters', () => {
    const already = makeFoolingImages(net, X, y, { maxIters: 5 });
    expect(already.iterations).toEqual(y.map(() => 0));
    expect(already.linf).toEqual(y.map(() => 0));
    const tooFew = makeFoolingImages(net, X, y.map((l) => (l + 1) % 3), { learningRate: 1e-4, maxIters: 2 });
    expect(tooFew.fooled).toEqual(y.map(() => false));
    expect(tooFew.iterations).toEqual(y.map(() => 2));
    tf.dispose([already.XFooling, tooFew.XFooling]);
    expect(() => makeFoolingImages(net, X, [0, 1, 2, 3, 0, 1])).toThrow('makeFoolingImages: targetY[3] must be a class index in 0..2, got 3');
    expect(() => makeFoolingImages(net, X, [0])).toThrow('makeFoolingImages: targetY must hold N = 6 classes');
  });

  it('class visualisation turns noise into each target class and stays in [-mean, 255 - mean]', () => {
    const mean = tf.fill(INPUT, 3) as tf.Tensor3D;
    const probs: number[] = [];
    const before = tf.memory().numTensors;
    const images = createClassVisualization(net, [0, 1, 2], mean, new Rng(3), {
      learningRate: 5,
      numIterations: 30,
      initStd: 1,
      maxJitter: 1,
      onIteration: (_, p) => probs.push(p),
    });
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(images.shape).toEqual([3, ...INPUT]);
    expect(probs.length).toBe(30);
    // Each image ends in its target class, and the mean target probability rose (from 1/3 at the noise).
    const predicted = tf.tidy(() => Array.from(tf.argMax(net.loss(images), 1).dataSync()));
    expect(predicted).toEqual([0, 1, 2]);
    expect(probs[probs.length - 1]).toBeGreaterThan(probs[0] + 0.3);
    const [lo, hi] = tf.tidy(() => [tf.min(images).dataSync()[0], tf.max(images).dataSync()[0]]);
    expect(lo).toBeGreaterThanOrEqual(-3);
    expect(hi).toBeLessThanOrEqual(252);
    tf.dispose([images, mean]);
  });
});

describe('jitter and blur', () => {
  it('roll moves pixels as np.roll and rolling back restores the image', () => {
    const x = tf.tensor4d(Array.from({ length: 12 }, (_, i) => i), [1, 3, 4, 1]);
    const rolled = roll(x, 1, -1);
    // out[h, w] = x[(h - 1) mod 3, (w + 1) mod 4]
    expect(tf.tidy(() => tf.reshape(rolled, [3, 4]).arraySync())).toEqual([
      [9, 10, 11, 8],
      [1, 2, 3, 0],
      [5, 6, 7, 4],
    ]);
    const back = roll(rolled, -1, 1);
    expect(Array.from(back.dataSync())).toEqual(Array.from(x.dataSync()));
    noLeaks(() => roll(x, 5, 7));
    tf.dispose([x, rolled, back]);
  });

  it('the Gaussian kernel is scipy gaussian_filter1d: radius ceil(4 sigma), sums to 1, symmetric', () => {
    const k = gaussianKernel1d(0.5);
    expect(k.length).toBe(5);
    expect(k.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(k[0]).toBeCloseTo(k[4], 7);
    // scipy.ndimage._gaussian_kernel1d(0.5, 0, 2): [6.6e-4, 0.1201, 0.8866, 0.1201, 6.6e-4] (exp(-2 i^2), normalised)
    expect(k[2]).toBeCloseTo(1 / (1 + 2 * Math.exp(-2) + 2 * Math.exp(-8)), 6);
  });

  it('blur keeps a constant image, spreads an impulse as the kernel outer product, and keeps the sum inside', () => {
    const constant = tf.fill([1, 6, 6, 3], 7) as tf.Tensor4D;
    const blurred = gaussianBlur(constant, 0.5);
    expect(blurred.shape).toEqual([1, 6, 6, 3]);
    for (const v of blurred.dataSync()) expect(v).toBeCloseTo(7, 4);
    const impulse = tf.tidy(() => tf.pad(tf.ones([1, 1, 1, 1]), [[0, 0], [4, 4], [4, 4], [0, 0]]) as tf.Tensor4D);
    const spread = tf.tidy(() => tf.reshape(gaussianBlur(impulse, 0.5), [9, 9]).arraySync() as number[][]);
    const k = gaussianKernel1d(0.5);
    for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) expect(spread[4 + dy][4 + dx]).toBeCloseTo(k[dy + 2] * k[dx + 2], 6);
    noLeaks(() => gaussianBlur(constant, 1));
    tf.dispose([constant, blurred, impulse]);
  });
});

describe('deprocess and figures', () => {
  it('deprocess adds the mean back, clamps to 0..255 and rounds', () => {
    const X = tf.tensor4d([-200, 0.4, 10, 300], [1, 2, 2, 1]);
    const mean = tf.tensor3d([100, 100, 100.2, 100], [2, 2, 1]);
    expect(Array.from(deprocess(X, mean))).toEqual([0, 100, 110, 255]);
    expect(() => deprocess(X, tf.zeros([2, 2, 3]) as tf.Tensor3D)).toThrow("deprocess: meanImage must be [2,2,1] (X's [H, W, C]), got shape [2,2,3]");
    const diff = differenceImages(tf.tensor4d([1, 2, -20, 0], [1, 2, 2, 1]), tf.zeros([1, 2, 2, 1]) as tf.Tensor4D, 10);
    expect(Array.from(diff[0].data)).toEqual([138, 148, 0, 128]);
    tf.dispose([X, mean]);
  });

  it('hot colour map runs black -> red -> yellow -> white', () => {
    const c = hotColormap([0, 0.365079, 0.746032, 1]);
    expect(Array.from(c)).toEqual([11, 0, 0, 255, 0, 0, 255, 255, 0, 255, 255, 255]);
  });

  it('writes valid PNGs of the expected size', async () => {
    const rng = new Rng(41);
    const X = rng.randn([3, ...INPUT], 30) as tf.Tensor4D;
    const mean = tf.fill(INPUT, 120) as tf.Tensor3D;
    const saliency = tf.abs(rng.randn([3, 8, 8])) as tf.Tensor3D;
    const XFooling = tf.add(X, 1) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const files = [
      await saliencyFigure(path.join(dir, 'saliency.png'), X, mean, [{ name: 'small', saliency }], ['cat', 'dog', 'ship']),
      await saliencyFigure(path.join(dir, 'saliency2.png'), X, mean, [
        { name: 'small', saliency },
        { name: 'best model', saliency, labels: ['pred cat', 'pred dog', 'pred car'] },
      ], ['cat', 'dog', 'ship']),
      await foolingFigure(path.join(dir, 'fooling.png'), X, XFooling, mean, [
        { original: 'cat', fooling: '-> dog' },
        { original: 'dog', fooling: '-> cat' },
        { original: 'ship', fooling: '-> car' },
      ]),
      await classVisualizationFigure(path.join(dir, 'classes.png'), X, mean, ['a', 'b', 'c']),
    ];
    // Tiles are 8 * 4 = 32 pixels wide with 4 pixels of padding; the saliency figure has row labels on the left.
    const gridWidths = [3 * 36 + 4, 3 * 36 + 4, 4 * 36 + 4, 3 * 36 + 4];
    for (let i = 0; i < files.length; i++) {
      const { path: file, width, height } = files[i];
      const meta = await sharp(file).metadata();
      expect({ file: path.basename(file), format: meta.format, width: meta.width, height: meta.height }).toEqual({
        file: path.basename(file),
        format: 'png',
        width,
        height,
      });
      expect(fs.readFileSync(file).subarray(1, 4).toString('latin1')).toBe('PNG');
      if (i <= 1) expect(width).toBeGreaterThan(gridWidths[i]);
      else expect(width).toBe(gridWidths[i]);
      expect(height).toBeGreaterThan(32);
    }
    // A second model's maps add a row of tiles (32 pixels, a caption, padding) below the first's.
    expect(files[1].height).toBeGreaterThan(files[0].height + 32);
    await expect(saliencyFigure(path.join(dir, 'x.png'), X, mean, [], ['a', 'b', 'c'])).rejects.toThrow("saliencyFigure: rows must hold at least one model's saliency maps");
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([X, XFooling, mean, saliency]);
  });
});
