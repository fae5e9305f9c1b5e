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
 *
 * Output (runs/topics/): the PNGs and metrics.json (the circuits' values and gradients, the patch covariance's
 * eigenvalues and their spread, the median ratio per layer and learning rate). Needs CIFAR-10 (npm run get-data);
 * about a minute on two cores, --quick a few seconds.
 *
 *   npm run topics
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { CommonOptions, ScriptContext, createCommand, startScript } from './lib/cli';
import { loadCifarForScript } from './lib/cifar';
import { printSummary, writeMetrics } from './lib/run_dir';
import { pixelStd, updateRatio, whitenPatches } from './lib/topics';
import { COURSE_CIRCUITS, circuitBackward } from '../src/circuit';
import { FullyConnectedNet } from '../src/classifiers/fc_net';
import { meanImage, toFloatTensor } from '../src/data/preprocess';
import { CifarSplit } from '../src/data/split';
import { Solver } from '../src/solver';
import { IMAGE_BYTES, IMAGE_CHANNELS, IMAGE_SIZE } from '../runtime/data/cifar10_format';
import { linePanel, multiChart } from '../runtime/vis/chart';
import { circuitPanel } from '../runtime/vis/graph';
import { GridImage, imageGrid } from '../runtime/vis/image_grid';

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
    for (let it = 0; it < iterations; it++) {
      const before = names.map((k) => tf.clone(model.params[k]));
      losses.push(solver.step());
      names.forEach((k, i) => ratios[k].push(updateRatio(before[i], model.params[k])));
      tf.dispose(before);
    }
    for (const v of Object.values(model.params)) v.dispose();
    return { lr, ratios, losses };
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
  return {
    images: train.n,
    iterations,
    hidden_dims: [100, 100],
    weight_scale: 1e-2,
    median_ratio: Object.fromEntries(runs.map((r) => [`lr_${r.lr.toExponential()}`, Object.fromEntries(Object.entries(r.ratios).map(([k, v]) => [k, median(v)]))])),
    final_loss: Object.fromEntries(runs.map((r) => [`lr_${r.lr.toExponential()}`, r.losses[r.losses.length - 1]])),
  };
}

async function main(): Promise<void> {
  const program = createCommand('topics', 'figures for the course-topic pages: a circuit of gates, preprocessing and whitening, update/weight ratios');
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
  writeMetrics(ctx.outDir, { ...ctx.runInfo(), circuits: circuitMetrics, preprocessing: prep, babysitting: baby });
  printSummary(`2x2 patches of ${n} training images`, {
    'largest / smallest eigenvalue': prep.eigenvalue_spread as number,
    'top 3 share of variance': prep.top3_variance_share as number,
  });
  printSummary('median update / weight ratio', Object.entries(baby.median_ratio as Record<string, Record<string, number>>).map(([lr, r]) => ({ lr, ...r })));
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
