/**
 * "Train your best model" (the last part of assignment 2, which the course does in PyTorch): a deeper convnet
 * (src/classifiers/convnet.ts, every layer hand-written) trained on CIFAR-10 with random flips and crops, Adam and
 * a learning rate that decays every epoch, a checkpoint at the end of every epoch, and a final evaluation on the
 * whole test set (10,000 images) and on the course's test split (its first 1,000).
 *
 *   npm run train                          # the default run: 10 epochs within the default 115-minute budget
 *   npm run train -- --time-budget 30      # stop at the last epoch boundary that fits in 30 minutes
 *   npm run train -- --resume              # continue from the latest checkpoint in the output folder
 *   npm run train -- --quick               # smoke run: 640 training images, 2 epochs
 *
 * The default architecture and its budget: single-threaded wasm on an idle core of a 16-core Xeon (lscpu names it
 * as it names the 2-core machines, 'Intel(R) Xeon(R) Processor'; wasm conv2d [50,32,32,3] x [7,7,3,32] took 43 ms
 * there, 48 ms in ../shared/ENVIRONMENT.md), median of 4 training steps with augmentation and Adam, batch 64:
 *
 *   | blocks (p: 2x2 pool after)  | MMAC/image | params | ms/image | min/epoch | epochs in 2 h |
 *   | 32-32p-64-64p-128p          |       29.2 |   161k |     14.5 |      11.9 |          10.0 |
 *   | 32p-64-64p-128-128p         |       29.2 |   299k |     20.8 |      17.1 |           7.0 |
 *   | 32-32p-64-64p-128-128p      |       38.7 |   308k |     27.1 |      22.3 |           5.4 |
 *   | 64-64p-128-128p-256p        |      115.1 |   598k |     49.1 |      40.6 |           3.0 |
 *   | 32-32p-64-64p-128p + fc 256 |       29.2 |   668k |     20.9 |      17.3 |           7.0 |
 *
 * The first fits the most epochs in the time, so it is the default. (Equal multiply-adds do not mean equal time:
 * tfjs's wasm kernels run the 8 x 8 layers with many channels and the filter gradients less efficiently.) This
 * script itself, on a full-size (random) data set on that idle core: 0.76 s per iteration (augmentation and
 * minibatch sampling included), so an epoch of 765 iterations takes ~10 minutes and 10 epochs ~100 minutes;
 * loading and preprocessing take seconds, the evaluation ~45 s. The default --time-budget of 115 minutes keeps a
 * slower machine within two hours: it stops at the last epoch boundary that leaves time for the evaluation.
 *
 * The default run, on the 2-core machine with its other core busy with other scripts (wasm, one thread: it
 * predates src/wasm_threads.ts): 8 epochs in 105 minutes (13.0 min/epoch, the budget stopped it before a 9th),
 * validation accuracy 0.579 after epoch 1, 0.711 after 2, 0.757 after 5, 0.787 after 8; test accuracy 0.7789 on
 * the 10,000 test images, 0.801 on the course's first 1,000. The wasm threads now used by default make each
 * iteration faster: on the idle 2-core machine, with the code of that day's end (first layer's dx skipped), 0.605 s
 * per iteration on 2 threads against 0.769 on 1 (mean of 15 steps after 3 warm-up steps, random data), so an epoch takes
 * ~7.7 minutes and the default 10 epochs fit in the budget.
 *
 * Output (runs/train/ by default): checkpoints/ckpt_epoch_<e>.{json,bin} (written atomically by the Solver),
 * metrics.json (test_acc, epochs, seconds, histories, configuration), loss.png, accuracy.png, filters.png.
 * Solver lines and progress go to stderr, the summary table to stdout.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from 'commander';
import { CommonOptions, ScriptContext, createCommand, parseNumber, parsePositiveInt, startScript } from './lib/cli';
import { printSummary, writeMetrics } from './lib/run_dir';
import { fitSplitSizes, loadCifarForScript, preprocessForScript } from './lib/cifar';
import { accuracy } from './lib/solver_runs';
import { ConvBlock, ConvNet, ConvNetOptions, DEFAULT_BLOCKS, describeBlocks } from '../src/classifiers/convnet';
import { augmentBatch } from '../src/data/augment';
import { RECORDS_PER_BATCH } from '../src/data/cifar10_format';
import { CheckpointError, disposeCheckpoint, loadCheckpoint } from '../src/checkpoint';
import { UPDATE_RULE_NAMES, UpdateRuleName } from '../src/optim';
import { Solver, SolverData } from '../src/solver';
import { Rng } from '../src/random';
import { lineChart } from '../src/vis/chart';
import { GridImage, imageGrid } from '../src/vis/image_grid';

interface Options extends CommonOptions {
  epochs?: number;
  timeBudget: number;
  batchSize: number;
  updateRule: UpdateRuleName;
  lr: number;
  lrDecay: number;
  reg: number;
  blocks: ConvBlock[];
  hidden: number[];
  augment: boolean;
  resume: boolean;
  valEvery?: number;
}

const DEFAULT_EPOCHS = 10;
/** Minutes: two hours, less a margin for loading, the evaluation and the figures. */
const DEFAULT_TIME_BUDGET = 115;
const QUICK = { trainImages: 640, valImages: 200, epochs: 2 };
const CHECKPOINT_NAME = 'ckpt';
/** The course's test split: the first 1,000 test images. */
const COURSE_TEST = 1000;
/** Train-mode passes that re-estimate batchnorm's running statistics when the best epoch was not the last. */
const RECALIBRATION_BATCHES = 50;

/** "32,32p,64,64p,128p" or "32-32p-64-64p-128p": filters per conv block, p for a 2x2 max pool after it. */
function parseBlocks(value: string): ConvBlock[] {
  const parts = value.split(/[,-]/).map((s) => s.trim());
  const blocks = parts.map((s) => {
    const m = /^(\d+)(p?)$/.exec(s);
    if (!m || Number(m[1]) <= 0) {
      throw new InvalidArgumentError(`--blocks takes filters per block with p for a pool, e.g. 32,32p,64,64p; got '${value}' (bad part '${s}')`);
    }
    return m[2] ? { filters: Number(m[1]), pool: true } : { filters: Number(m[1]) };
  });
  return blocks;
}

/** "256" or "256,128" (or "" for none): the hidden affine layers of the head. */
function parseHidden(value: string): number[] {
  if (value.trim() === '' || value.trim() === 'none') return [];
  return value.split(',').map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`--hidden takes positive integers separated by commas (or 'none'), got '${value}'`);
    return n;
  });
}

function parseUpdateRule(value: string): UpdateRuleName {
  if ((UPDATE_RULE_NAMES as readonly string[]).includes(value)) return value as UpdateRuleName;
  throw new InvalidArgumentError(`--update-rule must be one of ${UPDATE_RULE_NAMES.join(', ')}, got '${value}'`);
}

interface TrainData extends SolverData {
  XTest: tf.Tensor4D;
  yTest: tf.Tensor1D;
  official: boolean;
}

/**
 * CIFAR-10 as assignment 2 takes it (training mean subtracted, NHWC images): the course's training and validation
 * split (49,000 / 1,000) and every test image. Quick: 640 training, 200 validation and 1,000 test images. A smaller
 * folder (CIFAR10_RECORDS_PER_BATCH, see scripts/lib/cifar.ts) shrinks the split with it.
 */
async function loadData(ctx: ScriptContext): Promise<TrainData> {
  const raw = await loadCifarForScript(ctx);
  const official = raw.train.n === 5 * RECORDS_PER_BATCH && raw.test.n === RECORDS_PER_BATCH;
  const wanted = ctx.quick
    ? { numTraining: QUICK.trainImages, numValidation: QUICK.valImages, numTest: COURSE_TEST, numDev: 0 }
    : { numTraining: 49000, numValidation: 1000, numTest: raw.test.n, numDev: 0 };
  const sizes = fitSplitSizes(ctx, raw, wanted);
  const p = preprocessForScript(ctx, raw, sizes, { layout: 'images' });
  tf.dispose([p.xDev, p.yDev, p.meanImage]);
  return {
    XTrain: p.xTrain as tf.Tensor4D,
    yTrain: p.yTrain,
    XVal: p.xVal as tf.Tensor4D,
    yVal: p.yVal,
    XTest: p.xTest as tf.Tensor4D,
    yTest: p.yTest,
    official,
  };
}

/** The latest `ckpt_epoch_<e>` in dir (its base path and epoch), or null when there is none. */
function latestCheckpoint(dir: string): { base: string; epoch: number } | null {
  if (!fs.existsSync(dir)) return null;
  let best: { base: string; epoch: number } | null = null;
  for (const name of fs.readdirSync(dir)) {
    const m = new RegExp(`^${CHECKPOINT_NAME}_epoch_(\\d+)\\.json$`).exec(name);
    if (m && (!best || Number(m[1]) > best.epoch)) best = { base: path.join(dir, name.slice(0, -'.json'.length)), epoch: Number(m[1]) };
  }
  return best;
}

/**
 * Re-estimates batchnorm's running statistics for the parameters the model now holds: `batches` train-mode passes
 * on augmented training minibatches (the statistics the training steps saw). Each pass moves the running averages
 * 10% of the way (momentum 0.9), so after 50 the old values weigh 0.9^50 < 1%. Needed when the Solver restored an
 * earlier epoch's parameters: the running statistics (model state, not parameters) are still the last epoch's.
 */
function recalibrateBatchnorm(model: ConvNet, data: SolverData, rng: Rng, batches: number, batchSize: number, augment: boolean): void {
  const n = data.XTrain.shape[0];
  for (let i = 0; i < batches; i++) {
    const indices = rng.choice(n, Math.min(batchSize, n));
    tf.tidy(() => {
      const idx = tf.tensor2d(indices, [indices.length, 1], 'int32');
      const batch = tf.gatherND(data.XTrain, idx) as tf.Tensor4D;
      const X = augment ? augmentBatch(batch, rng) : batch;
      model.loss(X, tf.gatherND(data.yTrain, idx) as tf.Tensor1D);
    });
  }
}

/**
 * The first-layer filters W1 [HH, WW, C, F] as F small images (the course's visualize_grid), each rescaled on its
 * own: RGB for colour input (C = 3), else the mean over the input channels in grey.
 */
async function drawFilters(file: string, model: ConvNet): Promise<void> {
  const w = model.params.W1;
  const [HH, WW, C, F] = w.shape;
  const values = w.dataSync();
  const c = C === 3 ? 3 : 1;
  const filters: GridImage[] = [];
  for (let f = 0; f < F; f++) {
    const data = new Float32Array(HH * WW * c);
    for (let p = 0; p < HH * WW; p++) {
      for (let ch = 0; ch < C; ch++) {
        const v = values[(p * C + ch) * F + f];
        if (c === 3) data[p * 3 + ch] = v;
        else data[p] += v / C;
      }
    }
    filters.push({ data, h: HH, w: WW, c });
  }
  await imageGrid(file, filters, {
    cols: 8,
    scale: Math.max(1, Math.round(48 / HH)),
    padding: 3,
    normalize: 'per-image',
    title: `First-layer filters (${HH}x${WW}x${C})`,
  });
}

/** Mean of each window of `size` consecutive values (shorter at the start), for a readable loss curve. */
function movingAverage(values: number[], size: number): number[] {
  const out: number[] = [];
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i];
    if (i >= size) sum -= values[i - size];
    out.push(sum / Math.min(i + 1, size));
  }
  return out;
}

async function main(): Promise<void> {
  const program = createCommand('train', 'train the best convnet we can on CIFAR-10: deeper convnet, augmentation, checkpoints, test evaluation')
    .option('--epochs <n>', `epochs to train (default ${DEFAULT_EPOCHS}; ${QUICK.epochs} with --quick; with --resume, the checkpoint's)`, parsePositiveInt('--epochs'))
    .option('--time-budget <minutes>', 'stop at the last epoch boundary that keeps the whole run within this many minutes', parseNumber('--time-budget'), DEFAULT_TIME_BUDGET)
    .option('--batch-size <n>', 'minibatch size', parsePositiveInt('--batch-size'), 64)
    .option('--update-rule <name>', `${UPDATE_RULE_NAMES.join(' | ')}`, parseUpdateRule, 'adam' as UpdateRuleName)
    .option('--lr <x>', 'initial learning rate', parseNumber('--lr'), 1e-3)
    .option('--lr-decay <x>', 'learning rate multiplied by this after every epoch', parseNumber('--lr-decay'), 0.8)
    .option('--reg <x>', 'L2 regularisation strength', parseNumber('--reg'), 1e-4)
    .option('--blocks <list>', 'conv blocks: filters each, p for a 2x2 max pool after', parseBlocks, DEFAULT_BLOCKS.map((b) => ({ ...b })))
    .option('--hidden <dims>', "hidden affine layers of the head, e.g. 256 or 256,128 ('none' for none)", parseHidden, [] as number[])
    .option('--no-augment', 'no random flips and crops')
    .option('--resume', 'continue from the latest checkpoint in the output folder', false)
    .option('--val-every <n>', 'also check validation accuracy every n iterations (progress within long epochs)', parsePositiveInt('--val-every'));
  program.parse();
  const opts = program.opts<Options>();
  if (!(opts.timeBudget > 0)) program.error(`error: --time-budget must be a positive number of minutes, got ${opts.timeBudget}`);
  if (!(opts.lr > 0)) program.error(`error: --lr must be positive, got ${opts.lr}`);
  if (!(opts.lrDecay > 0 && opts.lrDecay <= 1)) program.error(`error: --lr-decay must be in (0, 1], got ${opts.lrDecay}`);
  if (!(opts.reg >= 0)) program.error(`error: --reg must be >= 0, got ${opts.reg}`);

  const started = Date.now();
  const ctx = await startScript('train', opts);
  const checkpointDir = path.join(ctx.outDir, 'checkpoints');
  const resumeFrom = opts.resume ? latestCheckpoint(checkpointDir) : null;
  if (opts.resume && !resumeFrom) {
    throw new CheckpointError(`--resume: no checkpoint ${CHECKPOINT_NAME}_epoch_<e>.json in ${checkpointDir}; run without --resume first (same --out)`);
  }

  const data = await loadData(ctx);
  let model: ConvNet | null = null;
  let solver: Solver | null = null;
  try {
    const augment = (X: tf.Tensor, rng: Rng) => augmentBatch(X as tf.Tensor4D, rng, { flip: true, padding: 4 });
    const common = {
      log: ctx.log,
      checkpointName: CHECKPOINT_NAME,
      checkpointDir,
      printEvery: 100,
      ...(opts.augment ? { augment } : {}),
    };
    if (resumeFrom) {
      // The checkpoint says what was trained: the model is rebuilt from its options, the Solver from its settings.
      const ckpt = loadCheckpoint(resumeFrom.base);
      try {
        if (ckpt.model?.kind !== 'ConvNet') throw new CheckpointError(`--resume: ${ckpt.manifestPath} holds a ${ckpt.model?.kind ?? 'model of unknown kind'}, not a ConvNet`);
        model = new ConvNet(ckpt.model.options as ConvNetOptions);
        solver = new Solver(model, data, { ...common, resume: ckpt, ...(opts.epochs !== undefined ? { numEpochs: opts.epochs } : {}) });
      } finally {
        disposeCheckpoint(ckpt);
      }
      ctx.log(`resumed from ${resumeFrom.base}.json: epoch ${solver.epoch} of ${solver.numEpochs}, iteration ${solver.iteration} (model and Solver settings from the checkpoint)`);
    } else {
      model = new ConvNet({ blocks: opts.blocks, hiddenDims: opts.hidden, reg: opts.reg, seed: ctx.rng.nextUint32() });
      solver = new Solver(model, data, {
        ...common,
        updateRule: opts.updateRule,
        optimConfig: { learningRate: opts.lr },
        lrDecay: opts.lrDecay,
        batchSize: opts.batchSize,
        numEpochs: opts.epochs ?? (ctx.quick ? QUICK.epochs : DEFAULT_EPOCHS),
        seed: ctx.rng.nextUint32(),
      });
    }
    const m = model;
    const s = solver;
    const numParams = Object.values(m.params).reduce((sum, p) => sum + p.size, 0);
    ctx.log(
      `ConvNet ${describeBlocks(m.options.blocks)}${m.options.hiddenDims.length ? ` + fc ${m.options.hiddenDims.join(',')}` : ''}, ` +
        `${numParams} parameters; ${s.updateRuleName}, lr decay ${s.lrDecay}, batch ${s.batchSize}, ${s.iterationsPerEpoch} iterations per epoch, ` +
        `augmentation ${opts.augment ? 'flip + crop (pad 4)' : 'off'}`,
    );

    // The training loop, one iteration at a time: validation checks between epochs (--val-every) and stops within
    // the time budget, at an epoch boundary when another epoch would not fit, mid-epoch only when the epoch under
    // way cannot end in time (the first epoch of a short budget on a slow machine).
    const budgetSeconds = opts.timeBudget * 60;
    const epochSeconds: number[] = [];
    const iterationSeconds: number[] = [];
    const valChecks: { iteration: number; val_acc: number }[] = [];
    const trainStarted = Date.now();
    let epochStarted = trainStarted;
    let stoppedBy: 'epochs' | 'time budget' | 'time budget, mid-epoch' = 'epochs';
    /**
     * Seconds the end of the run takes: forward passes over val + test (about a third of a training step per
     * image), a batchnorm recalibration, the figures.
     */
    const evaluationSeconds = (perIteration: number) =>
      (perIteration / s.batchSize) * ((data.XVal.shape[0] + data.XTest.shape[0]) / 3 + RECALIBRATION_BATCHES * s.batchSize) + 10;
    const bar = ctx.progressBar(s.numIterations, 'train', ['epoch', 'loss']);
    try {
      bar.update(s.iteration, { epoch: s.epoch, loss: '' });
      let more = s.iteration < s.numIterations;
      while (more) {
        const epochBefore = s.epoch;
        const iterationStarted = Date.now();
        more = s.trainIteration();
        bar.update(s.iteration, { epoch: s.epoch, loss: s.lossHistory[s.lossHistory.length - 1].toFixed(4) });
        const elapsed = () => (Date.now() - started) / 1000;
        if (s.epoch === epochBefore) {
          // Iterations without an epoch's accuracy checks and checkpoint time the step itself.
          if (s.iteration > 1) iterationSeconds.push((Date.now() - iterationStarted) / 1000);
          if (opts.valEvery && s.iteration % opts.valEvery === 0) {
            const valAcc = s.checkAccuracy(data.XVal, data.yVal);
            valChecks.push({ iteration: s.iteration, val_acc: valAcc });
            ctx.log(`(Iteration ${s.iteration} / ${s.numIterations}) val acc: ${valAcc.toFixed(4)}`);
          }
          const perIteration = iterationSeconds.reduce((a, b) => a + b, 0) / Math.max(iterationSeconds.length, 1);
          if (more && elapsed() + perIteration + evaluationSeconds(perIteration) > budgetSeconds) {
            stoppedBy = 'time budget, mid-epoch';
            ctx.log(
              `time budget: ${(elapsed() / 60).toFixed(1)} of ${opts.timeBudget} min used and epoch ${s.epoch + 1} cannot end in time: ` +
                `stopping at iteration ${s.iteration} (no checkpoint for the partial epoch; --resume starts from the last epoch's)`,
            );
            break;
          }
          continue;
        }
        const seconds = (Date.now() - epochStarted) / 1000;
        epochSeconds.push(seconds);
        epochStarted = Date.now();
        ctx.log(`epoch ${s.epoch} / ${s.numEpochs}: ${seconds.toFixed(0)} s, val acc ${s.valAccHistory[s.valAccHistory.length - 1].toFixed(4)}, checkpoint written`);
        if (!more) break;
        // Another epoch as long as the slowest so far, then the evaluation.
        const nextEpoch = Math.max(...epochSeconds);
        const evaluation = evaluationSeconds(nextEpoch / s.iterationsPerEpoch);
        if (elapsed() + nextEpoch + evaluation > budgetSeconds) {
          stoppedBy = 'time budget';
          ctx.log(
            `time budget: ${(elapsed() / 60).toFixed(1)} of ${opts.timeBudget} min used; another epoch (~${(nextEpoch / 60).toFixed(1)} min) ` +
              `and the evaluation (~${(evaluation / 60).toFixed(1)} min) would exceed it: stopping after epoch ${s.epoch}`,
          );
          break;
        }
      }
    } finally {
      bar.stop();
    }
    const trainSeconds = (Date.now() - trainStarted) / 1000;

    // The parameters to evaluate: the Solver's best by validation accuracy, with batchnorm statistics re-estimated
    // when they are older than the last step. After a mid-epoch stop the current parameters are checked first:
    // the Solver's best are then from the last epoch boundary, perhaps only from the check after the first step.
    let bestEpoch = s.valAccHistory.indexOf(s.bestValAcc);
    let keepCurrent = false;
    if (stoppedBy === 'time budget, mid-epoch') {
      const now = s.checkAccuracy(data.XVal, data.yVal);
      keepCurrent = now >= s.bestValAcc;
      ctx.log(`val acc at the stop ${now.toFixed(4)}, best at an epoch boundary ${s.bestValAcc.toFixed(4)}: keeping the ${keepCurrent ? 'current' : 'best'} parameters`);
      // In (fractional) epochs, as the Solver counts them.
      if (keepCurrent) bestEpoch = s.iteration / s.iterationsPerEpoch;
    }
    let recalibrated = false;
    if (!keepCurrent) {
      s.useBestParams();
      if (bestEpoch !== s.valAccHistory.length - 1 || stoppedBy === 'time budget, mid-epoch') {
        ctx.log(`best validation accuracy at epoch ${bestEpoch}, not at the last step: re-estimating batchnorm statistics for its parameters`);
        recalibrateBatchnorm(m, data, ctx.rng.fork(), RECALIBRATION_BATCHES, s.batchSize, opts.augment);
        recalibrated = true;
      }
    }

    const evalStarted = Date.now();
    const valAcc = accuracy(m, data.XVal, data.yVal);
    const testAcc = accuracy(m, data.XTest, data.yTest);
    const courseTest = Math.min(COURSE_TEST, data.XTest.shape[0]);
    const courseX = tf.slice(data.XTest, 0, courseTest);
    const courseY = tf.slice(data.yTest, 0, courseTest);
    const courseTestAcc = accuracy(m, courseX, courseY);
    tf.dispose([courseX, courseY]);
    const evalSeconds = (Date.now() - evalStarted) / 1000;
    ctx.log(`test accuracy ${testAcc.toFixed(4)} on ${data.XTest.shape[0]} images (${courseTestAcc.toFixed(4)} on the course's first ${courseTest}); evaluation ${evalSeconds.toFixed(0)} s`);

    const iterations = s.lossHistory.map((_, i) => i + 1);
    await lineChart(path.join(ctx.outDir, 'loss.png'), {
      title: 'Training loss',
      xLabel: 'iteration',
      yLabel: 'loss',
      series: [
        { name: 'minibatch', x: iterations, y: s.lossHistory, mark: 'points' },
        { name: 'mean of 100', x: iterations, y: movingAverage(s.lossHistory, 100) },
      ],
    });
    const checks = s.valAccHistory.map((_, i) => i);
    await lineChart(path.join(ctx.outDir, 'accuracy.png'), {
      title: 'Accuracy per epoch (train: 1,000 training images; epoch 0: after the first step)',
      xLabel: 'epoch',
      yLabel: 'accuracy',
      series: [
        { name: 'train', x: checks, y: s.trainAccHistory, mark: 'line+points' },
        { name: 'val', x: checks, y: s.valAccHistory, mark: 'line+points' },
      ],
    });
    await drawFilters(path.join(ctx.outDir, 'filters.png'), m);

    const seconds = (Date.now() - started) / 1000;
    writeMetrics(ctx.outDir, {
      ...ctx.runInfo(),
      test_acc: testAcc,
      test_acc_course_1000: courseTestAcc,
      val_acc: valAcc,
      best_val_acc: s.bestValAcc,
      best_epoch: bestEpoch,
      epochs: s.epoch,
      seconds,
      train_seconds: trainSeconds,
      eval_seconds: evalSeconds,
      epoch_seconds: epochSeconds,
      iterations: s.iteration,
      seconds_per_iteration: iterationSeconds.length ? iterationSeconds.reduce((a, b) => a + b, 0) / iterationSeconds.length : null,
      val_checks: valChecks,
      stopped_by: stoppedBy,
      resumed_from_epoch: resumeFrom ? resumeFrom.epoch : null,
      batchnorm_recalibrated: recalibrated,
      val_acc_history: s.valAccHistory,
      train_acc_history: s.trainAccHistory,
      loss_history: s.lossHistory,
      data: { train: data.XTrain.shape[0], val: data.XVal.shape[0], test: data.XTest.shape[0], official: data.official },
      config: {
        model: m.kind,
        blocks: describeBlocks(m.options.blocks),
        hidden_dims: m.options.hiddenDims,
        filter_size: m.options.filterSize,
        batchnorm: m.options.batchnorm,
        reg: m.options.reg,
        params: numParams,
        update_rule: s.updateRuleName,
        learning_rate_initial: resumeFrom ? null : opts.lr,
        learning_rate_final: s.learningRate,
        lr_decay: s.lrDecay,
        batch_size: s.batchSize,
        epochs_planned: s.numEpochs,
        augment: opts.augment,
        time_budget_minutes: opts.timeBudget,
      },
    });
    printSummary('Train your best model: ConvNet on CIFAR-10', {
      architecture: `${describeBlocks(m.options.blocks)}${m.options.hiddenDims.length ? ` + fc ${m.options.hiddenDims.join(',')}` : ''}`,
      parameters: numParams,
      epochs: `${s.epoch} of ${s.numEpochs}${stoppedBy === 'time budget' ? ' (time budget)' : ''}`,
      'best val acc (epoch)': `${s.bestValAcc.toFixed(4)} (${Number(bestEpoch.toFixed(2))})`,
      'val acc': valAcc,
      [`test acc (${data.XTest.shape[0]} images)`]: testAcc,
      [`test acc (course's ${courseTest})`]: courseTestAcc,
      'minutes per epoch (mean)': epochSeconds.length ? epochSeconds.reduce((a, b) => a + b, 0) / epochSeconds.length / 60 : null,
      'total minutes': seconds / 60,
      backend: ctx.backend,
    });
  } finally {
    solver?.dispose();
    model?.dispose();
    tf.dispose([data.XTrain, data.yTrain, data.XVal, data.yVal, data.XTest, data.yTest]);
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
