/**
 * The course's NetworkVisualization notebook on CIFAR-10 convnets trained by this project (the notebook uses
 * SqueezeNet on ImageNet): saliency maps, fooling images and class visualisations, comparing what a weak and a
 * strong model attend to. Every image gradient comes from the model's hand-written backward pass (its
 * inputGradient, the first layer's full dx), never autodiff, in test mode (batchnorm's running averages).
 *
 *   1. saliency maps of five validation images: |d score(true class) / d pixel|, max over the colour channels,
 *      for each model on the same images, side by side;
 *   2. fooling images: 20 validation images every model classifies correctly, each pushed by normalised gradient
 *      ascent on a random other class's score until the model predicts that class (at most 100 steps), the same
 *      images and targets for each model;
 *   3. class visualisation on the best model: one image per class, grown from noise by gradient ascent on the class
 *      score with L2 regularisation, random jitter, periodic blur and clamping to the valid pixel range.
 *
 * The models:
 *   - the best model: --checkpoint PATH (an Airbench, ResNet, ConvNet, ThreeLayerConvNet or FullyConnectedNet checkpoint written by the
 *     Solver or `npm run train`); without it, the checkpoint of `npm run train`'s default output folder
 *     (runs/train/checkpoints/) with the highest validation accuracy, when there is one;
 *   - the small convnet (the weak model): the one a previous run saved in the output folder as model.{json,bin};
 *     else one trained here for one epoch with the Solver (a few minutes on wasm) and saved there, when there is a
 *     best model to compare it with (unless --no-compare) or with --train-if-missing.
 * With neither a best model nor a saved small convnet, --train-if-missing trains the small convnet and visualises
 * it alone; without --train-if-missing the script says what to do.
 *
 * Settings. The class visualisation's are the course's, translated from SqueezeNet's inputs to ours
 * (CLASS_VIS_DEFAULTS in src/vis/class_visualization.ts says how), with more jitter and blur for a ConvNet or ResNet
 * (CLASS_VIS_DEEP_DEFAULTS says why). So is the fooling step's length in the library
 * (an L2 step of 8 pixel levels), but on the small net that fooled 16 of 20 images within 100 steps, so the
 * script takes steps of 20 (FOOL_LR), which fool all 20 in about 25 steps.
 *
 * Output (runs/network-visualization/): metrics.json (the best model's numbers at the top level, every model's
 * under `models`), saliency.png (one row of maps per model), fooling.png (the best model's),
 * fooling_small.png (the small convnet's, when compared), class_visualization.png (the best model's).
 *
 *   npm run network-visualization                                 # the best `npm run train` checkpoint vs the small net
 *   npm run network-visualization -- --checkpoint runs/train/checkpoints/ckpt_epoch_8.json
 *   npm run network-visualization -- --train-if-missing            # no train checkpoint: the small net alone
 *   npm run network-visualization -- --quick --train-if-missing   # smoke run: the net trained on 1,000 images
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Option } from 'commander';
import { CommonOptions, ScriptContext, createCommand, parseNonNegativeNumber, parsePositiveInt, parsePositiveNumber, startScript } from './lib/cli';
import { printSummary, writeMetrics } from './lib/run_dir';
import { Assignment2Data, disposeAssignment2Data, firstExamples, loadAssignment2Data } from './lib/cifar2';
import { Check, modelAccuracy, trainRun } from './lib/solver_runs';
import { ThreeLayerConvNet } from '../src/classifiers/cnn';
import { checkpointPaths, saveCheckpoint } from '../runtime/checkpoint';
import { VIS_MODEL_KINDS, VisModel, bestCheckpoint, loadVisModel } from '../runtime/vis_model';
import { ClassObjective, computeSaliencyMaps } from '../src/vis/saliency';
import { FOOLING_DEFAULTS, FoolingResult, makeFoolingImages } from '../src/vis/fooling';
import { CLASS_VIS_DEEP_DEFAULTS, CLASS_VIS_DEFAULTS, createClassVisualization } from '../src/vis/class_visualization';
import { FoolingRow, SaliencyRow, classVisualizationFigure, foolingFigure, saliencyFigure } from '../runtime/vis/figures';

interface Options extends CommonOptions {
  checkpoint?: string;
  trainIfMissing: boolean;
  compare: boolean;
  saliencyImages: number;
  foolImages: number;
  foolShow: number;
  foolLr: number;
  foolIters: number;
  visIters?: number;
  visLr?: number;
  visL2?: number;
  visJitter?: number;
  visBlurEvery?: number;
  visBlurSigma?: number;
  visInitStd?: number;
  objective: ClassObjective;
}

/** L2 length of a fooling step in pixel levels; see the file comment for why not FOOLING_DEFAULTS's 8. */
const FOOL_LR = 20;

/** The small convnet's name in the output folder. */
const SAVED_MODEL = 'model';

/** Where `npm run train` writes its checkpoints by default (relative to the working directory, as its --out). */
const TRAIN_CHECKPOINTS = path.join('runs', 'train', 'checkpoints');

/** A path as the log shows it: relative to the working directory when inside it, else absolute. */
function shown(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel.startsWith('..') || path.isAbsolute(rel) ? path.resolve(file) : rel;
}

/** A model to visualise: which one (the small convnet or the best model), its caption, where it came from. */
interface Entry {
  key: 'small' | 'best';
  label: string;
  model: VisModel;
  source: string;
}

/**
 * The small convnet: a ThreeLayerConvNet (16 5x5 filters, spatial batchnorm, hidden 100), one epoch with the
 * Solver (batch 50, adam 1e-3, weight scale 1e-2, reg 1e-3), on 1,000 images under --quick. Saved as
 * <out>/model.{json,bin}.
 *
 * Why not the convnet notebook's net (32 7x7 filters, hidden 500, weight scale 1e-3, no batchnorm): trained here
 * for one epoch it reached 0.45 validation accuracy with only 11 of its 500 hidden units ever active (about 3 per
 * image). Gradients flow only through active units, so the score of most classes barely depends on the pixels of
 * a given image, and gradient ascent cannot raise it: 4 of 20 images could be fooled. Batchnorm keeps the first
 * layer's outputs on a fixed scale, and the smaller net trains in a few minutes instead of half an hour.
 */
function trainSmallModel(ctx: ScriptContext, data: Assignment2Data, base: string): VisModel {
  const count = ctx.quick ? Math.min(1000, data.XTrain.shape[0]) : data.XTrain.shape[0];
  ctx.log(`== Training the small convnet (ThreeLayerConvNet) for one epoch on ${count} images ==`);
  const model = new ThreeLayerConvNet({
    numFilters: 16,
    filterSize: 5,
    hiddenDim: 100,
    batchnorm: true,
    weightScale: 1e-2,
    reg: 1e-3,
    seed: ctx.rng.nextUint32(),
  });
  const train = firstExamples(data.XTrain, data.yTrain, count);
  try {
    const run = trainRun(ctx, 'train', model, { XTrain: train.X, yTrain: train.y, XVal: data.XVal, yVal: data.yVal }, {
      numEpochs: 1,
      batchSize: 50,
      updateRule: 'adam',
      optimConfig: { learningRate: 1e-3 },
      printEvery: 50,
    });
    ctx.log(`trained in ${(run.seconds / 60).toFixed(1)} min, best validation accuracy ${run.bestValAcc.toFixed(3)}`);
    const saved = saveCheckpoint(base, {
      model: { kind: model.kind, options: model.options },
      params: model.params,
      modelState: model.state(),
      bestParams: {},
      optimizer: null,
      epoch: 1,
      iteration: run.iterations,
      solver: null,
      lossHistory: run.lossHistory,
      trainAccHistory: run.trainAccHistory,
      valAccHistory: run.valAccHistory,
      bestValAcc: run.bestValAcc,
    });
    ctx.log(`saved the small convnet as ${shown(saved.manifestPath)}`);
    return model;
  } catch (err) {
    model.dispose();
    throw err;
  } finally {
    tf.dispose([train.X, train.y]);
  }
}

/**
 * The best model: --checkpoint, else the best checkpoint of `npm run train`'s default output folder, else null.
 * Returns its manifest path too, so that the small convnet is not loaded a second time as itself.
 */
function findBestModel(ctx: ScriptContext, opts: Options): { entry: Entry; manifestPath: string } | null {
  let file = opts.checkpoint;
  if (!file) {
    const found = bestCheckpoint(TRAIN_CHECKPOINTS, (f, why) => ctx.log(`skipping ${f}: ${why}`));
    if (!found) return null;
    file = found.manifestPath;
    ctx.log(
      `no --checkpoint: using the best checkpoint of \`npm run train\` in ${TRAIN_CHECKPOINTS}/: ${path.basename(file)} ` +
        `(epoch ${found.epoch}, validation accuracy ${found.valAcc.toFixed(4)} when saved)`,
    );
  }
  const model = loadVisModel(file);
  const manifestPath = path.resolve(checkpointPaths(file).manifestPath);
  return { entry: { key: 'best', label: model.kind, model, source: shown(manifestPath) }, manifestPath };
}

/**
 * The models to visualise that exist before the data loads (so that a missing model is reported at once), and
 * whether the small convnet still has to be trained.
 */
function existingModels(ctx: ScriptContext, opts: Options): { best: Entry | null; small: Entry | null; trainSmall: boolean } {
  const best = findBestModel(ctx, opts);
  const { manifestPath } = checkpointPaths(path.join(ctx.outDir, SAVED_MODEL));
  const rel = shown(manifestPath);
  const wantSmall = best === null || opts.compare;
  let small: Entry | null = null;
  try {
    if (wantSmall && fs.existsSync(manifestPath) && path.resolve(manifestPath) !== best?.manifestPath) {
      ctx.log(`small convnet: the one a previous run saved, ${rel}`);
      small = { key: 'small', label: 'small convnet', model: loadVisModel(manifestPath), source: rel };
    }
  } catch (err) {
    best?.entry.model.dispose();
    throw err;
  }
  const trainSmall = small === null && wantSmall && (best !== null ? path.resolve(manifestPath) !== best.manifestPath : opts.trainIfMissing);
  if (best === null && small === null && !trainSmall) {
    throw new Error(
      `network-visualization: no model to visualise. Pass --checkpoint PATH (a checkpoint of one of ${VIS_MODEL_KINDS.join(', ')}), ` +
        `run \`npm run train\` first (its best checkpoint in ${TRAIN_CHECKPOINTS}/ is used by default), or add --train-if-missing ` +
        `to train the small convnet for one epoch here (a few minutes on wasm) and save it as ${rel}.`,
    );
  }
  return { best: best?.entry ?? null, small, trainSmall };
}

/** Predicted classes of X [N, ...] in test mode, in batches. */
function predict(model: VisModel, X: tf.Tensor4D, batchSize = 200): Int32Array {
  const n = X.shape[0];
  const out = new Int32Array(n);
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    const pred = tf.tidy(() => tf.argMax(model.loss(tf.slice(X, start, size)), 1));
    out.set(pred.dataSync() as Int32Array, start);
    pred.dispose();
  }
  return out;
}

const mean = (xs: number[]): number => (xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

/** The class visualisation settings for a model kind: CLASS_VIS_DEEP_DEFAULTS for ConvNet, ResNet and Airbench, else the course's. */
function classVisDefaults(kind: string): Record<keyof typeof CLASS_VIS_DEFAULTS, number> {
  return kind === 'ConvNet' || kind === 'ResNet' || kind === 'Airbench' ? CLASS_VIS_DEEP_DEFAULTS : CLASS_VIS_DEFAULTS;
}

/** "(default X; Y for a ConvNet or ResNet)" for a class visualisation option's help. */
function visDefault(key: keyof typeof CLASS_VIS_DEFAULTS): string {
  const course = CLASS_VIS_DEFAULTS[key];
  const deep = CLASS_VIS_DEEP_DEFAULTS[key];
  return course === deep ? `(default ${course})` : `(default ${course}; ${deep} for a ConvNet, ResNet or Airbench)`;
}

/** One model's fooling statistics over the images it fooled. */
interface FoolingStats {
  successRate: number;
  meanIters: number;
  meanLinf: number;
  meanL2: number;
}

function foolingStats(f: FoolingResult): FoolingStats {
  const fooled = f.fooled.map((ok, k) => (ok ? k : -1)).filter((k) => k >= 0);
  return {
    successRate: fooled.length / f.fooled.length,
    meanIters: mean(fooled.map((k) => f.iterations[k])),
    meanLinf: mean(fooled.map((k) => f.linf[k])),
    meanL2: mean(fooled.map((k) => f.l2[k])),
  };
}

async function main(): Promise<void> {
  const program = createCommand('network-visualization', 'saliency maps, fooling images and class visualisation (NetworkVisualization.ipynb)')
    .option('--checkpoint <path>', `checkpoint (.json manifest or its base path) of the best model: one of ${VIS_MODEL_KINDS.join(', ')} (default: the best in ${TRAIN_CHECKPOINTS}/)`)
    .option('--train-if-missing', 'without a best model and a saved small convnet in --out, train the small convnet first', false)
    .option('--no-compare', 'visualise the best model alone, without the small convnet')
    .option('--saliency-images <n>', 'validation images with saliency maps', parsePositiveInt('--saliency-images'), 5)
    .option('--fool-images <n>', 'correctly classified validation images to fool', parsePositiveInt('--fool-images'), 20)
    .option('--fool-show <n>', 'fooling images drawn in fooling.png', parsePositiveInt('--fool-show'), 5)
    .option('--fool-lr <x>', 'L2 length of each fooling step, in pixel levels', parsePositiveNumber('--fool-lr'), FOOL_LR)
    .option('--fool-iters <n>', 'most fooling steps per image', parsePositiveInt('--fool-iters'), FOOLING_DEFAULTS.maxIters)
    .option('--vis-iters <n>', `class visualisation iterations ${visDefault('numIterations')}`, parsePositiveInt('--vis-iters'))
    .option('--vis-lr <x>', `L2 length of each class visualisation step, in pixel levels ${visDefault('learningRate')}`, parsePositiveNumber('--vis-lr'))
    .option('--vis-l2 <x>', `L2 regularisation of the class visualisation, per squared pixel level ${visDefault('l2Reg')}`, parseNonNegativeNumber('--vis-l2'))
    .option('--vis-jitter <n>', `largest jitter in pixels ${visDefault('maxJitter')}`, parsePositiveInt('--vis-jitter'))
    .option('--vis-blur-every <n>', `blur every n iterations ${visDefault('blurEvery')}`, parsePositiveInt('--vis-blur-every'))
    .option('--vis-blur-sigma <x>', `blur standard deviation in pixels ${visDefault('blurSigma')}`, parseNonNegativeNumber('--vis-blur-sigma'))
    .option('--vis-init-std <x>', `standard deviation of the starting noise, in pixel levels ${visDefault('initStd')}`, parseNonNegativeNumber('--vis-init-std'))
    .addOption(new Option('--objective <name>', "what fooling and class visualisation climb: the target's score (the course's) or its log-softmax").choices(['score', 'logProb']).default('score'));
  program.parse();
  const opts = program.opts<Options>();
  const ctx = await startScript('network-visualization', opts);
  const found = existingModels(ctx, opts);
  const entries: Entry[] = [found.small, found.best].filter((e): e is Entry => e !== null);
  let data: Assignment2Data;
  try {
    data = await loadAssignment2Data(ctx);
  } catch (err) {
    for (const e of entries) e.model.dispose();
    throw err;
  }
  try {
    if (found.trainSmall) {
      const base = path.join(ctx.outDir, SAVED_MODEL);
      const model = trainSmallModel(ctx, data, base);
      entries.unshift({ key: 'small', label: 'small convnet', model, source: `${shown(base)}.json (trained by this run)` });
    }
    await visualise(ctx, opts, data, entries);
  } finally {
    for (const e of entries) e.model.dispose();
    disposeAssignment2Data(data);
  }
}

/** Saliency, fooling and class visualisation of every entry (small convnet first, then the best model). */
async function visualise(ctx: ScriptContext, opts: Options, data: Assignment2Data, entries: Entry[]): Promise<void> {
  const validation = evaluateModels(ctx, data, entries);
  const saliency = await saliencyMaps(ctx, opts, data, entries, validation);
  const fooling = await foolingImages(ctx, opts, data, entries, validation);
  const classVis = await classVisualization(ctx, opts, data, primaryEntry(entries));
  report(ctx, opts, data, entries, validation, saliency, fooling, classVis);
}

/** The best model when there is one (the last entry): class visualisation, fooling.png and the checks are its. */
function primaryEntry(entries: Entry[]): Entry {
  return entries[entries.length - 1];
}

/** The validation labels, and every model's predicted classes and accuracy on the validation images. */
interface Validation {
  yVal: tf.TypedArray;
  preds: Int32Array[];
  valAccs: number[];
}

/** Every model's predictions and accuracy on the validation images, logged with where the model came from. */
function evaluateModels(ctx: ScriptContext, data: Assignment2Data, entries: Entry[]): Validation {
  const yVal = data.yVal.dataSync();
  const preds = entries.map((e) => predict(e.model, data.XVal));
  const valAccs = entries.map((e) => modelAccuracy(e.model, data.XVal, data.yVal));
  entries.forEach((e, k) => ctx.log(`${e.label}: ${e.model.kind} from ${e.source}; validation accuracy ${valAccs[k].toFixed(4)}`));
  return { yVal, preds, valAccs };
}

/** 1. "Saliency maps" of a few random validation images, for their true class, one row per model (saliency.png). */
async function saliencyMaps(ctx: ScriptContext, opts: Options, data: Assignment2Data, entries: Entry[], v: Validation): Promise<{ salIdx: number[]; seconds: number }> {
  const names = data.classNames;
  const nVal = data.XVal.shape[0];
  const t0 = Date.now();
  const salIdx = Array.from(ctx.rng.choiceWithoutReplacement(nVal, Math.min(opts.saliencyImages, nVal)));
  const X = tf.gather(data.XVal, salIdx) as tf.Tensor4D;
  const ySal = tf.tensor1d(salIdx.map((i) => v.yVal[i]), 'int32');
  const rows: SaliencyRow[] = entries.map((e, k) => ({
    name: `${e.label} (val ${v.valAccs[k].toFixed(2)})`,
    saliency: computeSaliencyMaps(e.model, X, ySal),
    labels: salIdx.map((i) => `pred ${names[v.preds[k][i]]}`),
  }));
  try {
    await saliencyFigure(path.join(ctx.outDir, 'saliency.png'), X, data.meanImage, rows, salIdx.map((i) => names[v.yVal[i]]));
  } finally {
    tf.dispose([X, ySal, ...rows.map((r) => r.saliency)]);
  }
  return { salIdx, seconds: (Date.now() - t0) / 1000 };
}

/** The fooling images' outcome: which validation images, their targets, and each model's results (images disposed). */
interface Fooling {
  foolIdx: number[];
  targets: number[];
  results: Omit<FoolingResult, 'XFooling'>[];
  stats: FoolingStats[];
  seconds: number;
}

/** 2. "Fooling images": images every model gets right, each pushed to a random other class (fooling*.png). */
async function foolingImages(ctx: ScriptContext, opts: Options, data: Assignment2Data, entries: Entry[], v: Validation): Promise<Fooling> {
  const names = data.classNames;
  const numClasses = names.length;
  const primary = primaryEntry(entries);
  const t0 = Date.now();
  const foolIdx = Array.from(ctx.rng.permutation(data.XVal.shape[0]))
    .filter((i) => v.preds.every((p) => p[i] === v.yVal[i]))
    .slice(0, opts.foolImages);
  if (foolIdx.length < opts.foolImages) ctx.log(`only ${foolIdx.length} validation images that every model classifies correctly to fool`);
  const targets = foolIdx.map((i) => (v.yVal[i] + 1 + ctx.rng.int(numClasses - 1)) % numClasses);
  const show = Array.from({ length: Math.min(opts.foolShow, foolIdx.length) }, (_, k) => k);
  const Xfool = tf.gather(data.XVal, foolIdx) as tf.Tensor4D;
  const fooling: FoolingResult[] = [];
  const stats: FoolingStats[] = [];
  try {
    for (const e of entries) {
      const bar = ctx.progressBar(opts.foolIters, `fooling ${e.label}`, ['fooled']);
      let f: FoolingResult;
      try {
        f = makeFoolingImages(e.model, Xfool, targets, {
          learningRate: opts.foolLr,
          maxIters: opts.foolIters,
          objective: opts.objective,
          onIteration: (it, fooled) => bar.update(it, { fooled: `${fooled}/${foolIdx.length}` }),
        });
      } finally {
        bar.stop();
      }
      fooling.push(f);
      const st = foolingStats(f);
      stats.push(st);
      ctx.log(
        `${e.label}: fooled ${Math.round(st.successRate * foolIdx.length)}/${foolIdx.length} images; ` +
          `mean ${st.meanIters.toFixed(1)} steps, mean largest pixel change ${st.meanLinf.toFixed(2)}`,
      );
      const captions: FoolingRow[] = show.map((k) => ({
        original: names[v.yVal[foolIdx[k]]],
        fooling: f.fooled[k] ? `${names[targets[k]]} (${f.iterations[k]})` : `${names[targets[k]]} (failed)`,
      }));
      const [XShow, XFoolShow] = tf.tidy(() => [tf.gather(Xfool, show) as tf.Tensor4D, tf.gather(f.XFooling, show) as tf.Tensor4D]);
      try {
        const file = e === primary ? 'fooling.png' : `fooling_${e.key}.png`;
        await foolingFigure(path.join(ctx.outDir, file), XShow, XFoolShow, data.meanImage, captions, 10);
      } finally {
        tf.dispose([XShow, XFoolShow]);
      }
    }
  } finally {
    tf.dispose([Xfool, ...fooling.map((f) => f.XFooling)]);
  }
  return { foolIdx, targets, results: fooling, stats, seconds: (Date.now() - t0) / 1000 };
}

/** The class visualisation's settings, each class's probability of its own image, and their mean. */
interface ClassVis {
  vis: Record<keyof typeof CLASS_VIS_DEFAULTS, number>;
  visProbs: number[];
  classVisProb: number;
  seconds: number;
}

/** 3. "Class visualization" on the best model: one image per class, all classes as one batch (class_visualization.png). */
async function classVisualization(ctx: ScriptContext, opts: Options, data: Assignment2Data, primary: Entry): Promise<ClassVis> {
  const names = data.classNames;
  const t0 = Date.now();
  const d = classVisDefaults(primary.model.kind);
  const vis = {
    l2Reg: opts.visL2 ?? d.l2Reg,
    learningRate: opts.visLr ?? d.learningRate,
    numIterations: ctx.quick ? Math.min(opts.visIters ?? d.numIterations, 50) : (opts.visIters ?? d.numIterations),
    blurEvery: opts.visBlurEvery ?? d.blurEvery,
    blurSigma: opts.visBlurSigma ?? d.blurSigma,
    maxJitter: opts.visJitter ?? d.maxJitter,
    initStd: opts.visInitStd ?? d.initStd,
  };
  const classes = Array.from({ length: names.length }, (_, c) => c);
  const visBar = ctx.progressBar(vis.numIterations, `class vis ${primary.label}`, ['p']);
  let generated: tf.Tensor4D;
  try {
    generated = createClassVisualization(primary.model, classes, data.meanImage, ctx.rng.fork(), {
      ...vis,
      objective: opts.objective,
      onIteration: (it, p) => visBar.update(it, { p: p.toFixed(3) }),
    });
  } finally {
    visBar.stop();
  }
  let visProbs: number[];
  try {
    visProbs = tf.tidy(() => {
      const p = tf.softmax(primary.model.loss(generated)).arraySync() as number[][];
      return classes.map((c) => p[c][c]);
    });
    const visLabels = classes.map((c) => `${names[c]} p=${visProbs[c].toFixed(2)}`);
    await classVisualizationFigure(path.join(ctx.outDir, 'class_visualization.png'), generated, data.meanImage, visLabels, 5);
  } finally {
    generated.dispose();
  }
  return { vis, visProbs, classVisProb: mean(visProbs), seconds: (Date.now() - t0) / 1000 };
}

/** The report: the checks on the best model, metrics.json, and the summary and check tables. */
function report(
  ctx: ScriptContext,
  opts: Options,
  data: Assignment2Data,
  entries: Entry[],
  v: Validation,
  saliency: { salIdx: number[]; seconds: number },
  fooling: Fooling,
  classVis: ClassVis,
): void {
  const names = data.classNames;
  const primary = primaryEntry(entries);
  const { foolIdx, targets, stats } = fooling;
  const { vis, visProbs, classVisProb } = classVis;
  const m = entries.length - 1;
  const checks: Check[] = [
    { check: `fooling success rate (${primary.label})`, value: stats[m].successRate, expected: '>= 0.95', pass: stats[m].successRate >= 0.95 },
    { check: `class visualisation: mean target probability (${primary.label})`, value: classVisProb, expected: '>= 0.9', pass: classVisProb >= 0.9 },
  ];
  const modelMetrics = (k: number) => ({
    model: entries[k].model.kind,
    model_source: entries[k].source,
    val_acc: v.valAccs[k],
    fooling_success_rate: stats[k].successRate,
    fooling_mean_iters: stats[k].meanIters,
    fooling_mean_linf: stats[k].meanLinf,
    fooling_mean_l2: stats[k].meanL2,
    fooling: foolIdx.map((i, j) => ({
      val_index: i,
      true_class: names[v.yVal[i]],
      target_class: names[targets[j]],
      fooled: fooling.results[k].fooled[j],
      iterations: fooling.results[k].iterations[j],
      linf: fooling.results[k].linf[j],
      l2: fooling.results[k].l2[j],
    })),
  });
  writeMetrics(ctx.outDir, {
    ...ctx.runInfo(),
    ...modelMetrics(m),
    class_vis_target_prob: classVisProb,
    class_vis_probs: Object.fromEntries(names.map((name, c) => [name, visProbs[c]])),
    saliency_images: saliency.salIdx,
    models: Object.fromEntries(entries.map((e, k) => [e.key, modelMetrics(k)])),
    settings: {
      objective: opts.objective,
      fool_lr: opts.foolLr,
      fool_iters: opts.foolIters,
      vis_iters: vis.numIterations,
      vis_lr: vis.learningRate,
      vis_l2: vis.l2Reg,
      vis_jitter: vis.maxJitter,
      vis_blur_every: vis.blurEvery,
      vis_blur_sigma: vis.blurSigma,
      vis_init_std: vis.initStd,
    },
    seconds_saliency: saliency.seconds,
    seconds_fooling: fooling.seconds,
    seconds_class_vis: classVis.seconds,
    checks,
  });
  const perModel = Object.fromEntries(
    entries.flatMap((e, k) => [
      [`${e.label}: source`, e.source],
      [`${e.label}: validation accuracy`, v.valAccs[k]],
      [`${e.label}: fooling success rate`, stats[k].successRate],
      [`${e.label}: fooling mean steps`, stats[k].meanIters],
      [`${e.label}: fooling mean largest pixel change (0..255)`, stats[k].meanLinf],
      [`${e.label}: fooling mean L2 change`, stats[k].meanL2],
    ]),
  );
  printSummary(entries.length > 1 ? 'Network visualisation: the small convnet and the best model' : 'Network visualisation', {
    ...perModel,
    [`class visualisation (${primary.label}): mean target probability`]: classVisProb,
    'seconds: saliency / fooling / class vis': `${saliency.seconds.toFixed(1)} / ${fooling.seconds.toFixed(1)} / ${classVis.seconds.toFixed(1)}`,
    backend: ctx.backend,
  });
  printSummary(ctx.quick ? 'Checks (quick run: informative only)' : 'Checks', checks.map((c) => ({ ...c, pass: c.pass ? 'yes' : 'NO' })));
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
