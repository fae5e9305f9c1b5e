/**
 * Figures for the course-topic pages, computed with the library's own code:
 *
 *   circuits.png       the lecture's two circuits of add / multiply / max gates, every wire's forward value and
 *                      backward gradient from src/circuit.ts (docs/backprop.md)
 *   preprocessing.png  CIFAR-10 images raw, minus the mean image, divided by the per-pixel std, and whitened over
 *                      2x2 patches with the airbench net's own whitening filters (docs/training-practice.md)
 *   whitening.png      those 12 filters, largest variance first, each with its eigenvalue's share
 *   update-ratio.png   the update-to-weight ratio of each layer of a three-layer net over a few hundred SGD steps,
 *                      at three learning rates, beside the loss (docs/training-practice.md)
 *   histograms.png     that net's hidden activations and weight gradients at lr 1e-3, at step 0 and at the end
 *   minibatch-sgd.png  softmax trained by minibatch SGD at batch sizes 10, 100 and 1000: each minibatch's loss and
 *                      the loss on all rows, per step and per example drawn (docs/svm-softmax-gradients.md)
 *   receptive-field.png  the input gradient of one output unit of six conv stacks, through the hand-written
 *                      backward passes: where it is non-zero is the receptive field (docs/convolution.md)
 *   hyperparameter-search.png  softmax's validation accuracy over (log lr, log reg) for a 3 x 3 grid, nine random
 *                      trials and nine finer ones around the best (docs/training-practice.md)
 *
 * Output (runs/topics/): the PNGs and metrics.json (the circuits' values and gradients, the patch covariance's
 * eigenvalues and their spread, the median ratio per layer and learning rate, the histograms' summaries, the
 * minibatch losses' noise, the measured and computed receptive fields, every search trial). Needs CIFAR-10
 * (npm run get-data); about a minute and a quarter on two cores, --quick a few seconds.
 *
 *   npm run topics
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { CommonOptions, ScriptContext, createCommand, startScript } from './lib/cli';
import { loadCifarForScript, predictionAccuracy } from './lib/cifar';
import { printSummary, writeMetrics } from './lib/run_dir';
import {
  LogRange,
  StackLayer,
  Trial,
  gridTrials,
  histogram,
  influenceMap,
  pixelStd,
  randomTrials,
  receptiveFieldSide,
  updateRatio,
  whitenPatches,
} from './lib/topics';
import { COURSE_CIRCUITS, circuitBackward } from '../src/circuit';
import { FullyConnectedNet } from '../src/classifiers/fc_net';
import { Softmax } from '../src/classifiers/linear_classifier';
import { softmaxLossVectorized } from '../src/classifiers/softmax';
import { affineForward } from '../src/layers/affine';
import { reluForward } from '../src/layers/relu';
import { meanImage, toFloatTensor } from '../src/data/preprocess';
import { CifarSplit } from '../src/data/split';
import { Rng } from '../src/random';
import { Solver } from '../src/solver';
import { IMAGE_BYTES, IMAGE_CHANNELS, IMAGE_SIZE } from '../runtime/data/cifar10_format';
import { colorScatterPanel, linePanel, multiChart } from '../runtime/vis/chart';
import { circuitPanel } from '../runtime/vis/graph';
import { GridImage, imageGrid, normalizeToUint8 } from '../runtime/vis/image_grid';

/** The circuits of docs/backprop.md: one PNG, and every wire's value and gradient for metrics.json. */
async function circuits(ctx: ScriptContext): Promise<Record<string, unknown>> {
  const passes = COURSE_CIRCUITS.map((c) => ({ c, pass: circuitBackward(c) }));
  const file = path.join(ctx.outDir, 'circuits.png');
  await multiChart(file, passes.map(({ c, pass }) => circuitPanel(c, pass)), { columns: 2 });
  ctx.log(`wrote ${file}`);
  return Object.fromEntries(passes.map(({ c, pass }) => [c.name, { value: pass.value, grad: pass.grad }]));
}

/** A [32, 32, 3] image as a grid tile, mapped to bytes by 128 + gain * x (so 0 is mid grey), clamped. */
function centredTile(x: ArrayLike<number>, gain: number, h = IMAGE_SIZE, w = IMAGE_SIZE): GridImage {
  return { data: Float32Array.from(x, (v) => 128 + gain * v), h, w, c: 3 };
}

/**
 * `k` images to show: the first of each of the first `k` classes, in class order; where a class has none among the
 * images (a small custom set), the first images not yet picked fill in.
 */
function onePerClass(split: CifarSplit, k: number): number[] {
  const picks: number[] = [];
  for (let cls = 0; cls < k; cls++) {
    const i = split.labels.findIndex((l) => l === cls);
    if (i >= 0) picks.push(i);
  }
  for (let i = 0; picks.length < Math.min(k, split.n); i++) if (!picks.includes(i)) picks.push(i);
  return picks;
}

/** The preprocessing figures of docs/training-practice.md from the first `n` training images. */
async function preprocessing(ctx: ScriptContext, train: CifarSplit, classNames: string[]): Promise<Record<string, unknown>> {
  const mean = meanImage(train);
  const centred = toFloatTensor(train, { mean, layout: 'rows' }) as tf.Tensor2D;
  const rows = centred.dataSync() as Float32Array;
  const std = pixelStd(rows, train.n);
  const asImages = tf.reshape(centred, [train.n, IMAGE_SIZE, IMAGE_SIZE, IMAGE_CHANNELS]) as tf.Tensor4D;
  const { values, filters, whitened } = whitenPatches(asImages);
  // Whitened images are 31 x 31 (one pixel per 2x2 patch); a row and a column of zeros (mid grey) pad them to 32.
  const whitePadded = tf.tidy(() => tf.pad(whitened, [[0, 0], [0, 1], [0, 1], [0, 0]]));
  const white = whitePadded.dataSync();
  const picks = onePerClass(train, 8);
  const image = (i: number, src: ArrayLike<number>) => Array.prototype.slice.call(src, i * IMAGE_BYTES, (i + 1) * IMAGE_BYTES) as number[];
  const raw = picks.map((i) => ({ data: train.images.subarray(i * IMAGE_BYTES, (i + 1) * IMAGE_BYTES), h: IMAGE_SIZE, w: IMAGE_SIZE, c: 3 as const, label: classNames[train.labels[i]] }));
  const minusMean = picks.map((i) => centredTile(image(i, rows), 1));
  const normalised = picks.map((i) => centredTile(image(i, rows).map((v, p) => v / std[p]), 50));
  const whiteTiles = picks.map((i) => centredTile(image(i, white), 40));
  const blank = { data: new Float32Array(IMAGE_BYTES).fill(255), h: IMAGE_SIZE, w: IMAGE_SIZE, c: 3 as const };
  const stdMax = Math.max(...std);
  const stdMin = Math.min(...std);
  const statsRow: GridImage[] = [
    { data: mean, h: IMAGE_SIZE, w: IMAGE_SIZE, c: 3, label: 'mean' },
    // The std varies little from pixel to pixel: stretched from its minimum (black) to its maximum (white).
    { data: Float32Array.from(std, (s) => (255 * (s - stdMin)) / (stdMax - stdMin)), h: IMAGE_SIZE, w: IMAGE_SIZE, c: 3, label: 'std' },
    ...Array.from({ length: 6 }, () => blank),
  ];
  const file = path.join(ctx.outDir, 'preprocessing.png');
  await imageGrid(file, [...statsRow, ...raw, ...minusMean, ...normalised, ...whiteTiles], {
    cols: 8,
    scale: 3,
    padding: 4,
    title: `Preprocessing, from ${train.n} CIFAR-10 training images`,
    rowLabels: ['per pixel', 'raw', '- mean', '/ std', 'whitened 2x2'],
    fontSize: 13,
  });
  ctx.log(`wrote ${file}`);

  // The 12 filters as 2x2 colour tiles, each scaled on its own so that 0 is mid grey and its largest entry reaches
  // 0 or 255: a filter that weighs R, G and B alike is grey-white, one that opposes them is coloured.
  // Labels: the share of the variance along the filter's direction.
  const total = values.reduce((s, v) => s + v, 0);
  const w = filters.arraySync();
  const filterTiles: GridImage[] = Array.from(values, (lambda, f) => {
    const data = new Float32Array(2 * 2 * 3);
    for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) for (let c = 0; c < 3; c++) data[(a * 2 + b) * 3 + c] = w[a][b][c][f];
    const peak = Math.max(...data.map(Math.abs));
    return { data: data.map((v) => 128 + (127 * v) / peak), h: 2, w: 2, c: 3, label: `${((100 * lambda) / total).toPrecision(2)}%` };
  });
  const filterFile = path.join(ctx.outDir, 'whitening.png');
  await imageGrid(filterFile, filterTiles, {
    cols: 12,
    scale: 36,
    padding: 8,
    // Grey around the tiles: the first filter (all entries alike, positive) is near white.
    background: [170, 170, 170],
    title: '2x2 whitening filters, largest variance first (label: its share of the variance)',
    fontSize: 13,
  });
  ctx.log(`wrote ${filterFile}`);
  tf.dispose([centred, asImages, filters, whitened, whitePadded]);
  return {
    images: train.n,
    eigenvalues: Array.from(values),
    eigenvalue_spread: values[0] / values[values.length - 1],
    top3_variance_share: (values[0] + values[1] + values[2]) / total,
    pixel_std_range: [stdMin, stdMax],
  };
}

/** Learning rates of the babysitting run: one far too low, the one npm run fc-nets trains its three-layer net with, one higher. */
const RATES = [1e-4, 1e-3, 1e-2];

/** A median, for a summary that one noisy step cannot move. */
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Rows of the babysitting data whose activations and gradients are histogrammed. */
const HISTOGRAM_ROWS = 500;

/** What a net's hidden layers hold and what its weights' gradients are, on some rows: flat copies per layer. */
interface Inside {
  /** Relu outputs of each hidden layer: h1, h2, ... */
  activations: Record<string, Float32Array>;
  /** Gradient of the loss (the data term: reg is 0 here) for each weight matrix: W1, W2, ... */
  grads: Record<string, Float32Array>;
}

/**
 * The hidden activations of a FullyConnectedNet without batchnorm or dropout (affineForward then reluForward per
 * hidden layer, as its loss runs them), and the weight gradients its loss returns, on the first HISTOGRAM_ROWS rows.
 */
function insideTheNet(model: FullyConnectedNet, X: tf.Tensor, y: tf.Tensor1D): Inside {
  const inside: Inside = { activations: {}, grads: {} };
  tf.tidy(() => {
    const rows = Math.min(HISTOGRAM_ROWS, X.shape[0]);
    let h = tf.slice(X, [0, 0], [rows, -1]);
    for (let i = 1; i < model.numLayers; i++) {
      h = reluForward(affineForward(h, model.params[`W${i}`] as tf.Tensor2D, model.params[`b${i}`] as tf.Tensor1D).out).out;
      inside.activations[`h${i}`] = h.dataSync() as Float32Array;
    }
    const { loss, grads } = model.loss(tf.slice(X, [0, 0], [rows, -1]), tf.slice(y, [0], [rows]));
    for (let i = 1; i <= model.numLayers; i++) inside.grads[`W${i}`] = grads[`W${i}`].dataSync() as Float32Array;
    tf.dispose([loss, ...Object.values(grads)]);
  });
  return inside;
}

/** The q-quantile (0..1) of a list, by sorting a copy. */
function quantile(xs: ArrayLike<number>, q: number): number {
  const s = Float64Array.from(xs).sort();
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

/**
 * Histograms of the babysitting net's hidden activations and weight gradients, at step 0 and after the last step,
 * both as log10 |entry| (the relu's exact zeros left out of the bins, their share in the legend), each pair of
 * panels on one x and y range so that the two times compare.
 */
async function histogramFigure(ctx: ScriptContext, inside: Inside[], iterations: number, lr: number): Promise<Record<string, unknown>> {
  const BINS = 40;
  const when = (t: number) => `step ${t === 0 ? 0 : iterations}, lr ${lr.toExponential(0)}`;
  const zeroShare = (a: Float32Array) => a.reduce((n, v) => n + (v === 0 ? 1 : 0), 0) / a.length;
  // log10 of every non-zero entry, per time and layer: activations (the relu's exact zeros have no log) and gradients.
  const logs = (m: Record<string, Float32Array>) =>
    Object.fromEntries(
      Object.keys(m)
        .sort()
        .map((k) => [k, Float32Array.from(m[k].filter((v) => v !== 0), (v) => Math.log10(Math.abs(v)))]),
    );
  const range = (maps: Record<string, Float32Array>[]): [number, number] => {
    const all = maps.flatMap((m) => Object.values(m).flatMap((a) => Array.from(a)));
    return [Math.floor(quantile(all, 0.001)), Math.ceil(all.reduce((top, v) => Math.max(top, v), -Infinity))];
  };
  const logActs = inside.map((s) => logs(s.activations));
  const logGrads = inside.map((s) => logs(s.grads));
  const [actLo, actHi] = range(logActs);
  const [gradLo, gradHi] = range(logGrads);
  // Shares of all entries, zeros included, so that a layer whose units are mostly off draws low.
  const actSeries = inside.map((s, t) =>
    Object.entries(logActs[t]).map(([k, a]) => {
      const total = s.activations[k].length;
      const h = histogram(a, actLo, actHi, BINS);
      return { name: `${k} (${Math.round((100 * (total - a.length)) / total)}% exactly 0)`, x: h.centers, y: h.shares.map((v) => (v * a.length) / total) };
    }),
  );
  const gradSeries = logGrads.map((m) =>
    Object.entries(m).map(([k, g]) => {
      const h = histogram(g, gradLo, gradHi, BINS);
      return { name: `d${k}`, x: h.centers, y: h.shares };
    }),
  );
  type Curves = { name: string; x: number[]; y: number[] }[];
  // One panel per time, every panel of a kind on the same axes.
  const panels = (what: string, xLabel: string, yLabel: string, xDomain: [number, number], all: Curves[]) => {
    const top = Math.max(...all.flatMap((ss) => ss.flatMap((c) => c.y)));
    return all.map((series, t) => linePanel({ title: `${what} at ${when(t)}`, xLabel, yLabel, xDomain, yDomain: [0, top], width: 480, height: 320, series }));
  };
  const file = path.join(ctx.outDir, 'histograms.png');
  await multiChart(
    file,
    [
      ...panels('Hidden activations', 'log10 relu output (its zeros have no log)', 'share of the units', [actLo, actHi], actSeries),
      ...panels('Weight gradients', 'log10 |gradient entry|', 'share of the entries', [gradLo, gradHi], gradSeries),
    ],
    { columns: 2 },
  );
  ctx.log(`wrote ${file}`);
  const summary = (s: Inside) => ({
    activation_zero_share: Object.fromEntries(Object.entries(s.activations).map(([k, a]) => [k, zeroShare(a)])),
    activation_median_nonzero: Object.fromEntries(Object.entries(s.activations).map(([k, a]) => [k, quantile(a.filter((v) => v > 0), 0.5)])),
    grad_median_abs: Object.fromEntries(Object.entries(s.grads).map(([k, g]) => [k, quantile(Float32Array.from(g, Math.abs), 0.5)])),
  });
  return { lr, rows: HISTOGRAM_ROWS, step0: summary(inside[0]), end: summary(inside[inside.length - 1]) };
}

/**
 * Babysitting: a [100, 100] net (three weight matrices) trained by plain SGD on `train`, the ratio
 * ||W_after - W_before|| / ||W|| of every weight matrix recorded at every step, once per learning rate.
 */
async function babysitting(ctx: ScriptContext, train: CifarSplit, iterations: number): Promise<Record<string, unknown>> {
  const mean = meanImage(train);
  const X = toFloatTensor(train, { mean, layout: 'rows' });
  const y = tf.tensor1d(Int32Array.from(train.labels), 'int32');
  const seed = ctx.rng.nextUint32();
  const runs = RATES.map((lr) => {
    const model = new FullyConnectedNet({ hiddenDims: [100, 100], weightScale: 1e-2, seed });
    const solver = new Solver(model, { XTrain: X, yTrain: y, XVal: X, yVal: y }, { updateRule: 'sgd', optimConfig: { learningRate: lr }, batchSize: 100, verbose: false, seed });
    const names = Object.keys(model.params).filter((k) => k.startsWith('W'));
    const ratios: Record<string, number[]> = Object.fromEntries(names.map((k) => [k, []]));
    const losses: number[] = [];
    const inside = [insideTheNet(model, X, y)];
    for (let it = 0; it < iterations; it++) {
      const before = names.map((k) => tf.clone(model.params[k]));
      losses.push(solver.step());
      names.forEach((k, i) => ratios[k].push(updateRatio(before[i], model.params[k])));
      tf.dispose(before);
    }
    inside.push(insideTheNet(model, X, y));
    for (const v of Object.values(model.params)) v.dispose();
    return { lr, ratios, losses, inside };
  });
  tf.dispose([X, y]);
  const steps = Array.from({ length: iterations }, (_, i) => i + 1);
  const rule = { name: '1e-3 (rule of thumb)', x: [1, iterations], y: [1e-3, 1e-3] };
  const mid = runs[RATES.indexOf(1e-3)];
  const file = path.join(ctx.outDir, 'update-ratio.png');
  await multiChart(file, [
    linePanel({
      title: `Update / weight ratio, lr ${mid.lr}`,
      xLabel: 'iteration',
      yLabel: '||lr dW|| / ||W||',
      logY: true,
      width: 600,
      series: [...Object.entries(mid.ratios).map(([k, r]) => ({ name: k, x: steps, y: r })), rule],
    }),
    linePanel({
      title: 'W1 at three learning rates',
      xLabel: 'iteration',
      yLabel: '||lr dW1|| / ||W1||',
      logY: true,
      width: 600,
      series: [...runs.map((r) => ({ name: `lr ${r.lr}`, x: steps, y: r.ratios.W1 })), rule],
    }),
    linePanel({
      title: 'Training loss (minibatch)',
      xLabel: 'iteration',
      yLabel: 'loss',
      width: 600,
      series: runs.map((r) => ({ name: `lr ${r.lr}`, x: steps, y: r.losses })),
    }),
  ]);
  ctx.log(`wrote ${file}`);
  const histograms = await histogramFigure(ctx, mid.inside, iterations, mid.lr);
  return {
    images: train.n,
    iterations,
    histograms,
    hidden_dims: [100, 100],
    weight_scale: 1e-2,
    median_ratio: Object.fromEntries(runs.map((r) => [`lr_${r.lr.toExponential()}`, Object.fromEntries(Object.entries(r.ratios).map(([k, v]) => [k, median(v)]))])),
    final_loss: Object.fromEntries(runs.map((r) => [`lr_${r.lr.toExponential()}`, r.losses[r.losses.length - 1]])),
  };
}

/** The search's ranges, as exponents of 10: learning rates over three decades, regularisation strengths over four. */
const SEARCH_LR: LogRange = [-7.5, -4.5];
const SEARCH_REG: LogRange = [-2, 2];
/** Trials per search: a 3 x 3 grid, and as many random draws. */
const SEARCH_GRID = 3;

interface TrialResult extends Trial {
  valAcc: number;
  finalLoss: number;
}

/** Softmax classifiers trained by the library's minibatch SGD, one per trial, each with its own fork of ctx.rng. */
function runTrials(ctx: ScriptContext, trials: Trial[], data: { X: tf.Tensor2D; y: Int32Array; Xv: tf.Tensor2D; yv: Int32Array }, numIters: number): TrialResult[] {
  return trials.map((t) => {
    const clf = new Softmax();
    const losses = clf.train(data.X, data.y, { learningRate: t.learningRate, reg: t.reg, numIters, batchSize: 200, rng: ctx.rng.fork() });
    const finalLoss = losses[losses.length - 1];
    const valAcc = Number.isFinite(finalLoss) ? predictionAccuracy(clf.predict(data.Xv), data.yv) : NaN;
    clf.dispose();
    ctx.log(`  lr ${t.learningRate.toExponential(2)} reg ${t.reg.toExponential(2)}: val accuracy ${valAcc.toFixed(3)}`);
    return { ...t, valAcc, finalLoss };
  });
}

/** The best trial by validation accuracy (a diverged one, NaN, never). */
function bestTrial(rows: TrialResult[]): TrialResult {
  return rows.reduce((a, b) => (b.valAcc > a.valAcc || !(a.valAcc >= 0) ? b : a));
}

/**
 * Hyperparameter search, three ways with nine trials each: a 3 x 3 grid over (log lr, log reg), nine random draws
 * over the same ranges, and nine finer random draws around the best of those (coarse to fine: half a decade of lr
 * either side, one of reg). Softmax on `train`, chosen on `val`.
 */
async function hyperparameterSearch(ctx: ScriptContext, train: CifarSplit, val: CifarSplit, numIters: number): Promise<Record<string, unknown>> {
  const mean = meanImage(train);
  const X = toFloatTensor(train, { mean, bias: true }) as tf.Tensor2D;
  const Xv = toFloatTensor(val, { mean, bias: true }) as tf.Tensor2D;
  const data = { X, y: Int32Array.from(train.labels), Xv, yv: Int32Array.from(val.labels) };
  const n = SEARCH_GRID * SEARCH_GRID;
  ctx.log(`search: ${n} grid trials`);
  const grid = runTrials(ctx, gridTrials(SEARCH_LR, SEARCH_REG, SEARCH_GRID), data, numIters);
  ctx.log(`search: ${n} random trials`);
  const random = runTrials(ctx, randomTrials(ctx.rng, SEARCH_LR, SEARCH_REG, n), data, numIters);
  const coarse = bestTrial(random);
  const fineLr: LogRange = [Math.log10(coarse.learningRate) - 0.5, Math.log10(coarse.learningRate) + 0.5];
  const fineReg: LogRange = [Math.log10(coarse.reg) - 1, Math.log10(coarse.reg) + 1];
  ctx.log(`search: ${n} finer random trials around lr ${coarse.learningRate.toExponential(2)}, reg ${coarse.reg.toExponential(2)}`);
  const fine = runTrials(ctx, randomTrials(ctx.rng, fineLr, fineReg, n), data, numIters);
  tf.dispose([X, Xv]);

  const all = [...grid, ...random, ...fine].filter((r) => Number.isFinite(r.valAcc));
  const colorDomain: [number, number] = [Math.min(...all.map((r) => r.valAcc)), Math.max(...all.map((r) => r.valAcc))];
  const scatter = (title: string, rows: TrialResult[], ranges?: [LogRange, LogRange]) =>
    colorScatterPanel({
      title,
      xLabel: 'log10 learning rate',
      yLabel: 'log10 regularization strength',
      colorLabel: 'val accuracy',
      x: rows.map((r) => Math.log10(r.learningRate)),
      y: rows.map((r) => Math.log10(r.reg)),
      value: rows.map((r) => r.valAcc),
      colorDomain,
      ...(ranges ? { xDomain: ranges[0], yDomain: ranges[1] } : {}),
      width: 480,
      height: 360,
    });
  const along = (name: string, rows: TrialResult[]) => ({ name, x: rows.map((r) => Math.log10(r.learningRate)), y: rows.map((r) => r.valAcc), mark: 'points' as const });
  const file = path.join(ctx.outDir, 'hyperparameter-search.png');
  await multiChart(
    file,
    [
      scatter(`${SEARCH_GRID} x ${SEARCH_GRID} grid (${n} trials)`, grid, [SEARCH_LR, SEARCH_REG]),
      scatter(`${n} random trials, same ranges`, random, [SEARCH_LR, SEARCH_REG]),
      scatter(`${n} finer random trials around the best one`, fine),
      linePanel({
        title: 'The same trials against log10 lr alone',
        xLabel: 'log10 learning rate',
        yLabel: 'validation accuracy',
        width: 480,
        height: 360,
        series: [along('grid', grid), along('random', random), along('finer random', fine)],
      }),
    ],
    { columns: 2 },
  );
  ctx.log(`wrote ${file}`);
  const rows = (rs: TrialResult[]) => rs.map(({ learningRate, reg, valAcc, finalLoss }) => ({ learningRate, reg, valAcc, finalLoss }));
  const distinct = (rs: TrialResult[]) => new Set(rs.map((r) => r.learningRate)).size;
  return {
    train_images: train.n,
    val_images: val.n,
    iterations: numIters,
    batch_size: 200,
    log_lr_range: SEARCH_LR,
    log_reg_range: SEARCH_REG,
    fine_log_lr_range: fineLr,
    fine_log_reg_range: fineReg,
    distinct_learning_rates: { grid: distinct(grid), random: distinct(random) },
    best_val_acc: { grid: bestTrial(grid).valAcc, random: coarse.valAcc, fine: bestTrial(fine).valAcc },
    best_learning_rate: { grid: bestTrial(grid).learningRate, random: coarse.learningRate, fine: bestTrial(fine).learningRate },
    trials: { grid: rows(grid), random: rows(random), fine: rows(fine) },
  };
}

/** Batch sizes of the minibatch figure: each ten times the last. */
const BATCH_SIZES = [10, 100, 1000];
/** Its learning rate and regularisation: a good setting of the search's range for these few steps. */
const SGD_LR = 2e-6;
const SGD_REG = 1;
/** Steps between evaluations of the loss on every training row. */
const EVAL_EVERY = 5;

/** The root mean square of a list. */
const rms = (xs: number[]) => Math.sqrt(xs.reduce((s, v) => s + v * v, 0) / Math.max(1, xs.length));

/**
 * Minibatch SGD for the softmax classifier at three batch sizes, from one initial W: LinearClassifier.train's
 * minibatch loss at every step, and the loss on all of `train` every EVAL_EVERY steps (softmaxLossVectorized).
 */
async function minibatchSgd(ctx: ScriptContext, train: CifarSplit, steps: number): Promise<Record<string, unknown>> {
  const mean = meanImage(train);
  const X = toFloatTensor(train, { mean, bias: true }) as tf.Tensor2D;
  const y = Int32Array.from(train.labels);
  const seed = ctx.rng.nextUint32();
  const fullLoss = (W: tf.Tensor2D) => {
    const { loss, dW } = softmaxLossVectorized(W, X, y, SGD_REG);
    dW.dispose();
    return loss;
  };
  const runs = BATCH_SIZES.map((batchSize) => {
    const clf = new Softmax();
    // The same seed for every batch size: the same initial W, then each its own minibatches.
    const rng = new Rng(seed);
    const options = { learningRate: SGD_LR, reg: SGD_REG, batchSize, rng };
    clf.train(X, y, { ...options, numIters: 0 });
    const minibatch: number[] = [];
    const full: number[] = [fullLoss(clf.W as tf.Tensor2D)];
    while (minibatch.length < steps) {
      minibatch.push(...clf.train(X, y, { ...options, numIters: Math.min(EVAL_EVERY, steps - minibatch.length) }));
      full.push(fullLoss(clf.W as tf.Tensor2D));
    }
    clf.dispose();
    // The minibatch loss at step k * EVAL_EVERY is taken at the W that full[k] was: their difference is the noise.
    const half = Math.floor(full.length / 2);
    const noise = rms(full.slice(half).flatMap((f, i) => ((half + i) * EVAL_EVERY < steps ? [minibatch[(half + i) * EVAL_EVERY] - f] : [])));
    return { batchSize, minibatch, full, noise };
  });
  X.dispose();
  const stepsAxis = Array.from({ length: steps }, (_, i) => i);
  const evalSteps = runs[0].full.map((_, k) => Math.min(k * EVAL_EVERY, steps));
  const name = (b: number) => `batch ${b}`;
  const file = path.join(ctx.outDir, 'minibatch-sgd.png');
  const yDomain: [number, number] = [Math.min(...runs.flatMap((r) => [...r.minibatch, ...r.full])), Math.max(...runs.flatMap((r) => [...r.minibatch, ...r.full]))];
  await multiChart(file, [
    linePanel({
      title: 'Minibatch loss at every step',
      xLabel: 'step',
      yLabel: 'loss of that step\u2019s minibatch',
      width: 440,
      height: 340,
      yDomain,
      series: runs.map((r) => ({ name: name(r.batchSize), x: stepsAxis, y: r.minibatch })),
    }),
    linePanel({
      title: `Loss on all ${train.n} training rows`,
      xLabel: 'step',
      yLabel: 'training loss',
      width: 440,
      height: 340,
      yDomain,
      series: runs.map((r) => ({ name: name(r.batchSize), x: evalSteps, y: r.full, mark: 'line+points' as const })),
    }),
    linePanel({
      title: 'The same against examples drawn',
      xLabel: 'examples drawn (steps x batch size)',
      yLabel: 'training loss',
      logX: true,
      width: 440,
      height: 340,
      yDomain,
      series: runs.map((r) => ({ name: name(r.batchSize), x: evalSteps.slice(1).map((t) => t * r.batchSize), y: r.full.slice(1), mark: 'line+points' as const })),
    }),
  ]);
  ctx.log(`wrote ${file}`);
  const byBatch = <T>(f: (r: (typeof runs)[number]) => T) => Object.fromEntries(runs.map((r) => [`b${r.batchSize}`, f(r)]));
  return {
    images: train.n,
    steps,
    learning_rate: SGD_LR,
    reg: SGD_REG,
    eval_every: EVAL_EVERY,
    initial_loss: runs[0].full[0],
    final_train_loss: byBatch((r) => r.full[r.full.length - 1]),
    noise_rms: byBatch((r) => r.noise),
    noise_ratio_10_to_1000: runs[0].noise / runs[runs.length - 1].noise,
  };
}

/** The conv stacks whose receptive fields are drawn, each with its key in metrics.json and its column label. */
const conv = (k: number): StackLayer => ({ kind: 'conv', k });
const pool: StackLayer = { kind: 'pool' };
const STACKS: { key: string; label: string; layers: StackLayer[] }[] = [
  { key: 'conv7', label: '7x7 conv', layers: [conv(7)] },
  { key: 'conv7_pool', label: '7x7 conv, pool', layers: [conv(7), pool] },
  { key: 'conv3', label: '3x3 conv', layers: [conv(3)] },
  { key: 'conv3x2', label: '3x3 conv x 2', layers: [conv(3), conv(3)] },
  { key: 'conv3x3', label: '3x3 conv x 3', layers: [conv(3), conv(3), conv(3)] },
  { key: 'conv3_pool_conv3x2', label: '3x3, pool, 3x3 x 2', layers: [conv(3), pool, conv(3), conv(3)] },
];

/**
 * Receptive fields: for each stack of STACKS, the gradient of one output unit near the centre with respect to
 * `images` (centred CIFAR-10 images), through the library's backward passes (influenceMap).
 */
async function receptiveFields(ctx: ScriptContext, split: CifarSplit): Promise<Record<string, unknown>> {
  const mean = meanImage(split);
  const images = toFloatTensor(split, { mean, layout: 'images' }) as tf.Tensor4D;
  const maps = STACKS.map((s) => ({ ...s, formula: receptiveFieldSide(s.layers), map: influenceMap(images, s.layers, 8, ctx.rng.fork()) }));
  images.dispose();
  const tile = (data: ArrayLike<number>, label?: string): GridImage => ({ data: normalizeToUint8(data), h: IMAGE_SIZE, w: IMAGE_SIZE, c: 1, label });
  const file = path.join(ctx.outDir, 'receptive-field.png');
  await imageGrid(
    file,
    [
      ...maps.map((m) => tile(m.map.single, `${m.map.singleCount} non-zero`)),
      ...maps.map((m) => tile(m.map.mean, `output map ${m.map.outSize[0]} x ${m.map.outSize[1]}`)),
      ...maps.map((m) => tile(Array.from(m.map.mean, (v) => (v > 0 ? 1 : 0)), `${m.map.side} x ${m.map.side}, formula ${m.formula}`)),
    ],
    {
      cols: STACKS.length,
      scale: 5,
      padding: 10,
      title: 'Where one output unit near the centre looks: |d unit / d image| over the 32 x 32 input',
      colLabels: STACKS.map((s) => s.label),
      rowLabels: ['one image', `mean of ${split.n}`, 'non-zero'],
      fontSize: 13,
    },
  );
  ctx.log(`wrote ${file}`);
  // How concentrated the field is: the share of the mean |gradient| in the central 3 x 3 of the 3x3 x 3 stack's 7 x 7.
  const deep = maps.find((m) => m.key === 'conv3x3') as (typeof maps)[number];
  const total = deep.map.mean.reduce((a, b) => a + b, 0);
  let centre = 0;
  const [ui, uj] = deep.map.unit;
  for (let di = -1; di <= 1; di++) for (let dj = -1; dj <= 1; dj++) centre += deep.map.mean[(ui + di) * IMAGE_SIZE + uj + dj];
  return {
    images: split.n,
    filters: 8,
    stacks: Object.fromEntries(
      maps.map((m) => [m.key, { side: m.map.side, formula: m.formula, output: m.map.outSize, unit: m.map.unit, single_pixels: m.map.singleCount, mean_pixels: m.map.meanCount }]),
    ),
    conv3x3_centre_share: total > 0 ? centre / total : 0,
  };
}

async function main(): Promise<void> {
  const program = createCommand('topics', 'figures for the course-topic pages: a circuit of gates, preprocessing and whitening, update/weight ratios and histograms, minibatch noise, receptive fields, grid vs random search');
  program.parse();
  const opts = program.opts<CommonOptions>();
  const ctx = await startScript('topics', opts);
  const circuitMetrics = await circuits(ctx);
  const data = await loadCifarForScript(ctx);
  if (data.train.n < 8) throw new Error(`topics: needs at least 8 training images to draw, got ${data.train.n} in ${data.dir}`);
  const n = Math.min(ctx.quick ? 500 : 2000, data.train.n);
  const train = data.train.subset({ start: 0, end: n });
  const prep = await preprocessing(ctx, train, data.classNames);
  const baby = await babysitting(ctx, train, ctx.quick ? 50 : 300);
  const sgd = await minibatchSgd(ctx, train, ctx.quick ? 20 : 200);
  const rf = await receptiveFields(ctx, train.subset({ start: 0, end: Math.min(64, n) }));
  // The search trains on the first images and validates on the last of the training files (as the scripts' splits).
  const numVal = Math.min(1000, Math.floor(data.train.n / 5));
  const searchTrain = data.train.subset({ start: 0, end: Math.min(ctx.quick ? 80 : 5000, data.train.n - numVal) });
  const searchVal = data.train.subset({ start: data.train.n - numVal, end: data.train.n });
  const search = await hyperparameterSearch(ctx, searchTrain, searchVal, ctx.quick ? 20 : 150);
  writeMetrics(ctx.outDir, {
    ...ctx.runInfo(),
    circuits: circuitMetrics,
    preprocessing: prep,
    babysitting: baby,
    minibatch_sgd: sgd,
    receptive_fields: rf,
    hyperparameter_search: search,
  });
  printSummary(`2x2 patches of ${n} training images`, {
    'largest / smallest eigenvalue': prep.eigenvalue_spread as number,
    'top 3 share of variance': prep.top3_variance_share as number,
  });
  printSummary('median update / weight ratio', Object.entries(baby.median_ratio as Record<string, Record<string, number>>).map(([lr, r]) => ({ lr, ...r })));
  printSummary(`softmax, ${sgd.steps as number} SGD steps: loss on all ${n} rows, and the minibatch noise`, BATCH_SIZES.map((b) => ({
    'batch size': b,
    'final training loss': (sgd.final_train_loss as Record<string, number>)[`b${b}`],
    'rms(minibatch - training loss)': (sgd.noise_rms as Record<string, number>)[`b${b}`],
  })));
  printSummary('receptive fields: measured side (non-zero gradient) and the formula', STACKS.map((st) => ({ stack: st.label, ...(rf.stacks as Record<string, { side: number; formula: number }>)[st.key] })).map(({ stack, side, formula }) => ({ stack, side, formula })));
  printSummary('hyperparameter search: best validation accuracy of nine trials', search.best_val_acc as Record<string, number>);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
