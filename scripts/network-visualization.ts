/**
 * The course's NetworkVisualization notebook on a CIFAR-10 convnet trained by this project (the notebook uses
 * SqueezeNet on ImageNet): saliency maps, fooling images and class visualisations. Every image gradient comes from
 * the model's hand-written backward pass (its inputGradient, the first layer's dx), never autodiff.
 *
 *   1. saliency maps of five validation images: |d score(true class) / d pixel|, max over the colour channels;
 *   2. fooling images: 20 correctly classified validation images, each pushed by normalised gradient ascent on a
 *      random other class's score until the model predicts that class (at most 100 steps);
 *   3. class visualisation: one image per class, grown from noise by gradient ascent on the class score with L2
 *      regularisation, random jitter, periodic blur and clamping to the valid pixel range.
 *
 * The model: --checkpoint PATH (a ThreeLayerConvNet or FullyConnectedNet checkpoint written by saveCheckpoint or the
 * Solver); else the model a previous --train-if-missing run saved in the output folder; else, with
 * --train-if-missing, a small three-layer convnet trained here for one epoch with the Solver (a few minutes on
 * wasm) and saved as <out>/model.{json,bin}.
 *
 * Settings. The class visualisation's are the course's, translated from SqueezeNet's inputs to ours
 * (CLASS_VIS_DEFAULTS in src/vis/class_visualization.ts says how). So is the fooling step's length in the library
 * (an L2 step of 8 pixel levels), but on the net trained here that fooled 16 of 20 images within 100 steps, so the
 * script takes steps of 20 (FOOL_LR), which fool all 20 in about 25 steps.
 *
 * Output (runs/network-visualization/): metrics.json, saliency.png, fooling.png, class_visualization.png.
 *
 *   npm run network-visualization -- --train-if-missing
 *   npm run network-visualization -- --checkpoint runs/network-visualization/model.json
 *   npm run network-visualization -- --quick --train-if-missing   # smoke run: the net trained on 1,000 images
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Option } from 'commander';
import { CommonOptions, ScriptContext, createCommand, parseNumber, parsePositiveInt, startScript } from './lib/cli';
import { printSummary, writeMetrics } from './lib/run_dir';
import { Assignment2Data, disposeAssignment2Data, firstExamples, loadAssignment2Data } from './lib/cifar2';
import { Check, accuracy, trainRun } from './lib/solver_runs';
import { ThreeLayerConvNet, ThreeLayerConvNetOptions } from '../src/classifiers/cnn';
import { FullyConnectedNet, FullyConnectedNetOptions } from '../src/classifiers/fc_net';
import { ModelSpec, checkpointPaths, disposeCheckpoint, loadCheckpoint, restoreModel, saveCheckpoint } from '../src/checkpoint';
import { ClassObjective, computeSaliencyMaps } from '../src/vis/saliency';
import { FOOLING_DEFAULTS, FoolingResult, makeFoolingImages } from '../src/vis/fooling';
import { CLASS_VIS_DEFAULTS, createClassVisualization } from '../src/vis/class_visualization';
import { FoolingRow, classVisualizationFigure, foolingFigure, saliencyFigure } from '../src/vis/deprocess';

interface Options extends CommonOptions {
  checkpoint?: string;
  trainIfMissing: boolean;
  saliencyImages: number;
  foolImages: number;
  foolShow: number;
  foolLr: number;
  foolIters: number;
  visIters: number;
  visLr: number;
  visL2: number;
  visJitter: number;
  visBlurEvery: number;
  visBlurSigma: number;
  visInitStd: number;
  objective: ClassObjective;
}

type VisModel = ThreeLayerConvNet | FullyConnectedNet;

/** L2 length of a fooling step in pixel levels; see the file comment for why not FOOLING_DEFAULTS's 8. */
const FOOL_LR = 20;

/** The model's name in the output folder, for --train-if-missing. */
const SAVED_MODEL = 'model';

/** Builds an untrained model of the checkpoint's kind and options. */
function buildModel(spec: ModelSpec | null, where: string): VisModel {
  if (spec?.kind === 'ThreeLayerConvNet') return new ThreeLayerConvNet(spec.options as ThreeLayerConvNetOptions);
  if (spec?.kind === 'FullyConnectedNet') return new FullyConnectedNet(spec.options as FullyConnectedNetOptions);
  throw new Error(
    `network-visualization: checkpoint ${where} holds ${spec ? `a ${spec.kind}` : 'no model kind'}; ` +
      'it needs a ThreeLayerConvNet or a FullyConnectedNet (saved with its kind and options, as the Solver does)',
  );
}

/** Loads a model from a checkpoint (its parameters and batchnorm statistics). */
function loadModel(file: string): VisModel {
  const ckpt = loadCheckpoint(file);
  try {
    const model = buildModel(ckpt.model, ckpt.manifestPath);
    restoreModel(ckpt, model, ckpt.model);
    return model;
  } finally {
    disposeCheckpoint(ckpt);
  }
}

/**
 * --train-if-missing: a small three-layer convnet (16 5x5 filters, spatial batchnorm, hidden 100), one epoch with
 * the Solver (batch 50, adam 1e-3, weight scale 1e-2, reg 1e-3), on 1,000 images under --quick. Saved as
 * <out>/model.{json,bin}.
 *
 * Why not the convnet notebook's net (32 7x7 filters, hidden 500, weight scale 1e-3, no batchnorm): trained here
 * for one epoch it reached 0.45 validation accuracy with only 11 of its 500 hidden units ever active (about 3 per
 * image). Gradients flow only through active units, so the score of most classes barely depends on the pixels of
 * a given image, and gradient ascent cannot raise it: 4 of 20 images could be fooled. Batchnorm keeps the first
 * layer's outputs on a fixed scale, and the smaller net trains in a few minutes instead of half an hour.
 */
function trainModel(ctx: ScriptContext, data: Assignment2Data, base: string): VisModel {
  const count = ctx.quick ? Math.min(1000, data.XTrain.shape[0]) : data.XTrain.shape[0];
  ctx.log(`== Training a ThreeLayerConvNet for one epoch on ${count} images (--train-if-missing) ==`);
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
    ctx.log(`saved the model as ${path.relative(process.cwd(), saved.manifestPath)}`);
    return model;
  } catch (err) {
    model.dispose();
    throw err;
  } finally {
    tf.dispose([train.X, train.y]);
  }
}

/**
 * The model to visualise, if one exists: --checkpoint, else the model a previous --train-if-missing run saved in
 * the output folder. Null when there is none and --train-if-missing asks for one; an error saying what to do when
 * there is none and it does not. Called before the data loads, so that a missing model is reported at once.
 */
function existingModel(ctx: ScriptContext, opts: Options): { model: VisModel; source: string } | null {
  if (opts.checkpoint) return { model: loadModel(opts.checkpoint), source: opts.checkpoint };
  const { manifestPath } = checkpointPaths(path.join(ctx.outDir, SAVED_MODEL));
  const rel = path.relative(process.cwd(), manifestPath);
  if (fs.existsSync(manifestPath)) {
    ctx.log(`using the model a previous --train-if-missing run saved: ${rel}`);
    return { model: loadModel(manifestPath), source: rel };
  }
  if (opts.trainIfMissing) return null;
  throw new Error(
    'network-visualization: no model to visualise. Pass --checkpoint PATH (a ThreeLayerConvNet or FullyConnectedNet ' +
      'checkpoint, e.g. one a Solver wrote with checkpointName set), or add --train-if-missing to train the ' +
      `course's three-layer convnet for one epoch here (a few minutes on wasm) and save it as ${rel}.`,
  );
}

/** Predicted classes of X [N, ...] in test mode, in batches. */
function predict(model: VisModel, X: tf.Tensor4D, batchSize = 200): Int32Array {
  const n = X.shape[0];
  const out = new Int32Array(n);
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    out.set(tf.tidy(() => tf.argMax(model.loss(tf.slice(X, start, size)), 1).dataSync() as Int32Array), start);
  }
  return out;
}

const mean = (xs: number[]): number => (xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

/** What every section works on: the trained model, the validation images, their labels and predictions. */
interface Notebook {
  ctx: ScriptContext;
  opts: Options;
  model: VisModel;
  data: Assignment2Data;
  names: string[];
  yVal: ArrayLike<number>;
  predVal: ArrayLike<number>;
}

/** "Saliency maps" of a few random validation images, for their true class. */
async function saliencyMaps({ ctx, opts, model, data, names, yVal, predVal }: Notebook) {
  const nVal = data.XVal.shape[0];
  const t0 = Date.now();
  const salIdx = Array.from(ctx.rng.choiceWithoutReplacement(nVal, Math.min(opts.saliencyImages, nVal)));
  const sal = tf.tidy(() => {
    const X = tf.gather(data.XVal, salIdx) as tf.Tensor4D;
    const y = tf.tensor1d(salIdx.map((i) => yVal[i]), 'int32');
    return { X, saliency: computeSaliencyMaps(model, X, y) };
  });
  const salLabels = salIdx.map((i) => (predVal[i] === yVal[i] ? names[yVal[i]] : `${names[yVal[i]]} (pred ${names[predVal[i]]})`));
  await saliencyFigure(path.join(ctx.outDir, 'saliency.png'), sal.X, data.meanImage, sal.saliency, salLabels);
  tf.dispose([sal.X, sal.saliency]);
  const saliencySeconds = (Date.now() - t0) / 1000;

  return { salIdx, saliencySeconds };
}

/** "Fooling images": correctly classified validation images, each pushed to a random other target class. */
async function foolingImages({ ctx, opts, model, data, names, yVal, predVal }: Notebook) {
  const nVal = data.XVal.shape[0];
  const numClasses = names.length;
  const t1 = Date.now();
  const foolIdx = Array.from(ctx.rng.permutation(nVal))
    .filter((i) => predVal[i] === yVal[i])
    .slice(0, opts.foolImages);
  if (foolIdx.length < opts.foolImages) ctx.log(`only ${foolIdx.length} correctly classified validation images to fool`);
  const targets = foolIdx.map((i) => (yVal[i] + 1 + ctx.rng.int(numClasses - 1)) % numClasses);
  const Xfool = tf.gather(data.XVal, foolIdx) as tf.Tensor4D;
  const foolBar = ctx.progressBar(opts.foolIters, 'fooling', ['fooled']);
  let fooling: FoolingResult;
  try {
    fooling = makeFoolingImages(model, Xfool, targets, {
      learningRate: opts.foolLr,
      maxIters: opts.foolIters,
      objective: opts.objective,
      onIteration: (it, fooled) => foolBar.update(it, { fooled: `${fooled}/${foolIdx.length}` }),
    });
  } finally {
    foolBar.stop();
  }
  const fooledIdx = fooling.fooled.map((f, k) => (f ? k : -1)).filter((k) => k >= 0);
  const successRate = fooledIdx.length / foolIdx.length;
  const meanIters = mean(fooledIdx.map((k) => fooling.iterations[k]));
  const meanLinf = mean(fooledIdx.map((k) => fooling.linf[k]));
  const meanL2 = mean(fooledIdx.map((k) => fooling.l2[k]));
  ctx.log(`fooled ${fooledIdx.length}/${foolIdx.length} images; mean ${meanIters.toFixed(1)} steps, mean largest pixel change ${meanLinf.toFixed(2)}`);
  const show = Array.from({ length: Math.min(opts.foolShow, foolIdx.length) }, (_, k) => k);
  const rows: FoolingRow[] = show.map((k) => ({
    original: names[yVal[foolIdx[k]]],
    fooling: fooling.fooled[k] ? `${names[targets[k]]} (${fooling.iterations[k]})` : `${names[targets[k]]} (failed)`,
  }));
  const [XShow, XFoolShow] = tf.tidy(() => [tf.gather(Xfool, show) as tf.Tensor4D, tf.gather(fooling.XFooling, show) as tf.Tensor4D]);
  await foolingFigure(path.join(ctx.outDir, 'fooling.png'), XShow, XFoolShow, data.meanImage, rows, 10);
  tf.dispose([Xfool, fooling.XFooling, XShow, XFoolShow]);
  const foolingSeconds = (Date.now() - t1) / 1000;

  return { foolIdx, targets, fooling, successRate, meanIters, meanLinf, meanL2, foolingSeconds };
}

/** "Class visualization": one image per class that the model scores as that class, all classes as one batch. */
async function classVisualization({ ctx, opts, model, data, names }: Notebook) {
  const numClasses = names.length;
  const t2 = Date.now();
  const visIters = ctx.quick ? Math.min(opts.visIters, 50) : opts.visIters;
  const classes = Array.from({ length: numClasses }, (_, c) => c);
  const visBar = ctx.progressBar(visIters, 'class vis', ['p']);
  let generated: tf.Tensor4D;
  try {
    generated = createClassVisualization(model, classes, data.meanImage, ctx.rng.fork(), {
      l2Reg: opts.visL2,
      learningRate: opts.visLr,
      numIterations: visIters,
      blurEvery: opts.visBlurEvery,
      blurSigma: opts.visBlurSigma,
      maxJitter: opts.visJitter,
      initStd: opts.visInitStd,
      objective: opts.objective,
      onIteration: (it, p) => visBar.update(it, { p: p.toFixed(3) }),
    });
  } finally {
    visBar.stop();
  }
  const visProbs = tf.tidy(() => {
    const p = tf.softmax(model.loss(generated)).arraySync() as number[][];
    return classes.map((c) => p[c][c]);
  });
  const visLabels = classes.map((c) => `${names[c]} p=${visProbs[c].toFixed(2)}`);
  await classVisualizationFigure(path.join(ctx.outDir, 'class_visualization.png'), generated, data.meanImage, visLabels, 5);
  generated.dispose();
  const classVisProb = mean(visProbs);
  const classVisSeconds = (Date.now() - t2) / 1000;

  return { visIters, classes, visProbs, classVisProb, classVisSeconds };
}

/** metrics.json and the printed summary of every section. */
function report(
  { ctx, opts, model, names, yVal }: Notebook,
  source: string,
  valAcc: number,
  { salIdx, saliencySeconds }: Awaited<ReturnType<typeof saliencyMaps>>,
  { foolIdx, targets, fooling, successRate, meanIters, meanLinf, meanL2, foolingSeconds }: Awaited<ReturnType<typeof foolingImages>>,
  { visIters, classes, visProbs, classVisProb, classVisSeconds }: Awaited<ReturnType<typeof classVisualization>>,
): void {
  const checks: Check[] = [
    { check: 'fooling success rate', value: successRate, expected: '>= 0.95', pass: successRate >= 0.95 },
    { check: 'class visualisation: mean target probability', value: classVisProb, expected: '>= 0.9', pass: classVisProb >= 0.9 },
  ];
  writeMetrics(ctx.outDir, {
    ...ctx.runInfo(),
    model: model.kind,
    model_source: source,
    val_acc: valAcc,
    fooling_success_rate: successRate,
    fooling_mean_iters: meanIters,
    fooling_mean_linf: meanLinf,
    fooling_mean_l2: meanL2,
    class_vis_target_prob: classVisProb,
    class_vis_probs: Object.fromEntries(classes.map((c) => [names[c], visProbs[c]])),
    saliency_images: salIdx,
    fooling: foolIdx.map((i, k) => ({
      val_index: i,
      true_class: names[yVal[i]],
      target_class: names[targets[k]],
      fooled: fooling.fooled[k],
      iterations: fooling.iterations[k],
      linf: fooling.linf[k],
      l2: fooling.l2[k],
    })),
    settings: {
      objective: opts.objective,
      fool_lr: opts.foolLr,
      fool_iters: opts.foolIters,
      vis_iters: visIters,
      vis_lr: opts.visLr,
      vis_l2: opts.visL2,
      vis_jitter: opts.visJitter,
      vis_blur_every: opts.visBlurEvery,
      vis_blur_sigma: opts.visBlurSigma,
      vis_init_std: opts.visInitStd,
    },
    seconds_saliency: saliencySeconds,
    seconds_fooling: foolingSeconds,
    seconds_class_vis: classVisSeconds,
    checks,
  });
  printSummary('Network visualisation', {
    model: `${model.kind} (${source})`,
    'validation accuracy': valAcc,
    'fooling: success rate': successRate,
    'fooling: mean steps': meanIters,
    'fooling: mean largest pixel change (0..255)': meanLinf,
    'fooling: mean L2 change': meanL2,
    'class visualisation: mean target probability': classVisProb,
    'seconds: saliency / fooling / class vis': `${saliencySeconds.toFixed(1)} / ${foolingSeconds.toFixed(1)} / ${classVisSeconds.toFixed(1)}`,
    backend: ctx.backend,
  });
  printSummary(ctx.quick ? 'Checks (quick run: informative only)' : 'Checks', checks.map((c) => ({ ...c, pass: c.pass ? 'yes' : 'NO' })));
}

async function main(): Promise<void> {
  const program = createCommand('network-visualization', 'saliency maps, fooling images and class visualisation (NetworkVisualization.ipynb)')
    .option('--checkpoint <path>', 'model checkpoint (.json manifest or its base path) holding a ThreeLayerConvNet or FullyConnectedNet')
    .option('--train-if-missing', 'without --checkpoint and a saved model in --out, train a three-layer convnet first', false)
    .option('--saliency-images <n>', 'validation images with saliency maps', parsePositiveInt('--saliency-images'), 5)
    .option('--fool-images <n>', 'correctly classified validation images to fool', parsePositiveInt('--fool-images'), 20)
    .option('--fool-show <n>', 'fooling images drawn in fooling.png', parsePositiveInt('--fool-show'), 5)
    .option('--fool-lr <x>', 'L2 length of each fooling step, in pixel levels', parseNumber('--fool-lr'), FOOL_LR)
    .option('--fool-iters <n>', 'most fooling steps per image', parsePositiveInt('--fool-iters'), FOOLING_DEFAULTS.maxIters)
    .option('--vis-iters <n>', 'class visualisation iterations', parsePositiveInt('--vis-iters'), CLASS_VIS_DEFAULTS.numIterations)
    .option('--vis-lr <x>', 'L2 length of each class visualisation step, in pixel levels', parseNumber('--vis-lr'), CLASS_VIS_DEFAULTS.learningRate)
    .option('--vis-l2 <x>', 'L2 regularisation of the class visualisation, per squared pixel level', parseNumber('--vis-l2'), CLASS_VIS_DEFAULTS.l2Reg)
    .option('--vis-jitter <n>', 'largest jitter in pixels', parsePositiveInt('--vis-jitter'), CLASS_VIS_DEFAULTS.maxJitter)
    .option('--vis-blur-every <n>', 'blur every n iterations', parsePositiveInt('--vis-blur-every'), CLASS_VIS_DEFAULTS.blurEvery)
    .option('--vis-blur-sigma <x>', 'blur standard deviation in pixels', parseNumber('--vis-blur-sigma'), CLASS_VIS_DEFAULTS.blurSigma)
    .option('--vis-init-std <x>', 'standard deviation of the starting noise, in pixel levels', parseNumber('--vis-init-std'), CLASS_VIS_DEFAULTS.initStd)
    .addOption(new Option('--objective <name>', "what fooling and class visualisation climb: the target's score (the course's) or its log-softmax").choices(['score', 'logProb']).default('score'));
  program.parse();
  const opts = program.opts<Options>();
  const ctx = await startScript('network-visualization', opts);
  const found = existingModel(ctx, opts);
  let data: Assignment2Data;
  try {
    data = await loadAssignment2Data(ctx);
  } catch (err) {
    found?.model.dispose();
    throw err;
  }
  const base = path.join(ctx.outDir, SAVED_MODEL);
  let model: VisModel;
  let source: string;
  try {
    ({ model, source } = found ?? { model: trainModel(ctx, data, base), source: `${path.relative(process.cwd(), base)}.json (trained by this run)` });
  } catch (err) {
    disposeAssignment2Data(data);
    throw err;
  }
  try {
    const names = data.classNames;
    const yVal = data.yVal.dataSync();
    const predVal = predict(model, data.XVal);
    const valAcc = accuracy(model, data.XVal, data.yVal);
    ctx.log(`model: ${model.kind} from ${source}; validation accuracy ${valAcc.toFixed(4)}`);
    const notebook: Notebook = { ctx, opts, model, data, names, yVal, predVal };
    const saliency = await saliencyMaps(notebook);
    const fooling = await foolingImages(notebook);
    const classVis = await classVisualization(notebook);
    report(notebook, source, valAcc, saliency, fooling, classVis);
  } finally {
    model.dispose();
    disposeAssignment2Data(data);
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
