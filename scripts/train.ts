/**
 * "Train your best model" (the last part of assignment 2, which the course does in PyTorch), beyond the course: a
 * narrow ResNet-9 (src/classifiers/resnet.ts, every layer hand-written) trained on CIFAR-10 with SGD and momentum
 * on a one-cycle learning-rate schedule, weight decay, label smoothing and random flips and crops, a checkpoint at
 * the end of every epoch, and a final evaluation with flip averaging on the whole test set (10,000 images) and on
 * the course's test split (its first 1,000). docs/best-model.md explains each ingredient.
 *
 *   npm run train                          # the default run: as many epochs as fit in the 115-minute budget
 *   npm run train -- --epochs 4            # a fixed number of epochs (the schedule spans them)
 *   npm run train -- --model convnet       # the plain ConvNet (src/classifiers/convnet.ts), Adam, per-epoch decay
 *   npm run train -- --resume              # continue the run whose checkpoints are in the output folder
 *   npm run train -- --restart             # delete the output folder's checkpoints and start a new run
 *   npm run train -- --quick               # smoke run: 640 training images, 2 epochs
 *
 * Without --epochs, a fresh ResNet run times a few training steps and plans the epochs that fit in --time-budget
 * (planEpochs in scripts/lib/train_budget.ts), so that the schedule ends when the budget does. Each model's recipe (batch size, update rule,
 * learning rate, schedule, weight decay, label smoothing) is in RECIPES (scripts/lib/train_options.ts); a flag
 * overrides one part.
 *
 * Runs and --resume follow runtime/resume.ts: every fresh run gets a run id, recorded in each checkpoint with the
 * settings a resume must match (quick, seed, data sizes, architecture); a fresh run never overwrites another run's
 * checkpoints (--restart deletes them); --resume continues that run only if the command agrees with it
 * (runDifferences in scripts/lib/train_run.ts), from the newest checkpoint that loads.
 *
 * Output (runs/train/ by default): checkpoints/ckpt_epoch_<e>.json and its weights (written by the Solver's
 * onEpochEnd hook; see runtime/checkpoint.ts for why a kill never loses one),
 * metrics.json (test_acc with and without flip averaging, epochs, seconds, histories, confusion matrix,
 * configuration), lr.png, loss.png, accuracy.png, confusion.png, filters.png.
 * Solver lines and progress go to stderr, the summary table to stdout.
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ScriptContext, startScript } from './lib/cli';
import { fitSplitSizes, loadCifarForScript, preprocessForScript } from './lib/cifar';
import { AIRBENCH, QUICK, DEFAULT_EPOCHS, TTA_SHIFTS_MIN_BUDGET, TrainOptions, parseTrainOptions } from './lib/train_options';
import { TrainModel, TrainRunRecord, describeSavedRun, describeSchedule, describeSpec, isTrainCheckpoint, modelFromSpec, newModel, newSchedule, runDifferences } from './lib/train_run';
import { TrainData, chooseFinalParams, planAirbench, planEpochs, trainWithinBudget } from './lib/train_budget';
import { drawFigures, evaluate, report } from './lib/train_report';
import { alternatingFlip, alternatingFlipCoins, augmentBatch, randomHorizontalFlip, randomTranslateReflect } from '../src/data/augment';
import { AugmentInfo, EpochInfo, Solver, SolverOptions } from '../src/solver';
import { Airbench } from '../src/classifiers/airbench';
import { Rng } from '../src/random';
import { RECORDS_PER_BATCH } from '../runtime/data/cifar10_format';
import { Checkpoint, disposeCheckpoint, prepareCheckpointDir } from '../runtime/checkpoint';
import { LrSchedule, scheduleFunction } from '../runtime/schedule';
import { checkSameData, checkSameRun, checkpointEachEpoch, dataDigest, newRunId, prepareCheckpoints, resumeSolver } from '../runtime/resume';

const CHECKPOINT_NAME = 'ckpt';

/**
 * CIFAR-10 as assignment 2 takes it (training mean subtracted, NHWC images): the course's training and validation
 * split (49,000 / 1,000) and every test image. Quick: 640 training, 200 validation and 1,000 test images. A smaller
 * folder (CIFAR10_RECORDS_PER_BATCH, see scripts/lib/cifar.ts) shrinks the split with it.
 */
async function loadData(ctx: ScriptContext): Promise<TrainData> {
  const raw = await loadCifarForScript(ctx);
  const official = raw.train.n === 5 * RECORDS_PER_BATCH && raw.test.n === RECORDS_PER_BATCH;
  const wanted = ctx.quick
    ? { numTraining: QUICK.trainImages, numValidation: QUICK.valImages, numTest: 1000, numDev: 0 }
    : { numTraining: 49000, numValidation: 1000, numTest: raw.test.n, numDev: 0 };
  const sizes = fitSplitSizes(ctx, raw, wanted);
  const p = preprocessForScript(ctx, raw, sizes, { layout: 'images' });
  tf.dispose([p.xDev, p.yDev, p.meanImage]);
  // The run's data by content, for --resume to compare: every image and label loaded, in the order loaded.
  const digest = dataDigest([raw.train.images, raw.train.labels, raw.test.images, raw.test.labels]);
  return { XTrain: p.xTrain as tf.Tensor4D, yTrain: p.yTrain, XVal: p.xVal as tf.Tensor4D, yVal: p.yVal, XTest: p.xTest as tf.Tensor4D, yTest: p.yTest, official, digest };
}

interface Built {
  model: TrainModel;
  solver: Solver;
  run: TrainRunRecord;
  schedule: LrSchedule | null;
}

/**
 * What the airbench recipe adds to the Solver: epochs that see every image once, alternating flips (one coin per
 * training image, from the run's seed) and reflect-padded 2-pixel translations, and the whitening bias frozen after
 * AIRBENCH.whitenBiasEpochs (its rate and decay set to 0 before that epoch's checkpoint, so a resumed run keeps it
 * frozen). ResNet and ConvNet keep random flips and zero-padded crops, sampled with replacement.
 */
function recipeOptions(ctx: ScriptContext, opts: TrainOptions, kind: string, data: TrainData): { solver: SolverOptions; beforeCheckpoint: (info: EpochInfo, s: Solver) => void } {
  if (kind !== 'Airbench') {
    const augment = (X: tf.Tensor, rng: Rng) => augmentBatch(X as tf.Tensor4D, rng, { flip: true, padding: 4 });
    return { solver: opts.augment ? { augment } : {}, beforeCheckpoint: () => undefined };
  }
  const coins = alternatingFlipCoins(data.XTrain.shape[0], new Rng(ctx.seed).fork());
  // --no-alternating-flip (an ablation): a fresh coin per image at every epoch, as the other models flip.
  const flip = (X: tf.Tensor4D, rng: Rng, info: AugmentInfo) => (opts.alternatingFlip ? alternatingFlip(X, info.indices, coins, info.epoch) : randomHorizontalFlip(X, rng));
  const augment = (X: tf.Tensor, rng: Rng, info: AugmentInfo) => tf.tidy(() => randomTranslateReflect(flip(X as tf.Tensor4D, rng, info), rng, AIRBENCH.translate));
  const beforeCheckpoint = (info: EpochInfo, s: Solver) => {
    const config = s.optimConfigs.b0;
    if (info.epoch >= AIRBENCH.whitenBiasEpochs && config && config.lrScale !== 0) {
      config.lrScale = 0;
      config.weightDecay = 0;
      ctx.log(`whitening bias frozen after epoch ${info.epoch}`);
    }
  };
  return { solver: { sampling: 'epoch', ...(opts.augment ? { augment } : {}) }, beforeCheckpoint };
}

/** The model and the Solver: rebuilt from the checkpoint when resuming, else new from the flags. */
function buildModelAndSolver(ctx: ScriptContext, opts: TrainOptions, data: TrainData, checkpointDir: string, resumeFrom: Checkpoint | null, plannedEpochs: number | null): Built {
  const kind = resumeFrom ? (resumeFrom.model as { kind: string }).kind : { airbench: 'Airbench', resnet: 'ResNet', convnet: 'ConvNet' }[opts.model];
  const recipe = recipeOptions(ctx, opts, kind, data);
  const common: SolverOptions = { log: ctx.log, printEvery: 50, ...recipe.solver };
  const onEpochEndWith = (save: NonNullable<SolverOptions['onEpochEnd']>): NonNullable<SolverOptions['onEpochEnd']> => (info, s) => {
    recipe.beforeCheckpoint(info, s);
    save(info, s);
  };
  if (resumeFrom) {
    // The checkpoint says what was trained: the model is rebuilt from its options, the Solver from its settings.
    const run = resumeFrom.run as TrainRunRecord;
    const schedule = resumeFrom.solver?.lrSchedule ?? null;
    const spec = resumeFrom.model as { kind: string; options: unknown };
    const model = modelFromSpec(spec.kind, spec.options);
    try {
      const onEpochEnd = onEpochEndWith(checkpointEachEpoch(checkpointDir, CHECKPOINT_NAME, { run, lrSchedule: schedule }));
      const solver = resumeSolver(model, data, resumeFrom, { ...common, onEpochEnd, ...(opts.epochs !== undefined ? { numEpochs: opts.epochs } : {}) });
      ctx.log(
        `resumed run ${run.id} from ${resumeFrom.manifestPath}: epoch ${solver.epoch} of ${solver.numEpochs}, iteration ${solver.iteration} ` +
          '(model and Solver settings from the checkpoint)',
      );
      if (solver.iteration >= solver.numIterations) ctx.log(`the run already has ${solver.epoch} epochs; nothing left to train (raise --epochs for more): evaluating`);
      return { model, solver, run, schedule };
    } catch (err) {
      model.dispose();
      throw err;
    }
  }
  const run: TrainRunRecord = {
    id: newRunId(),
    script: 'train',
    quick: ctx.quick,
    seed: ctx.seed,
    augment: opts.augment,
    tta: opts.tta,
    ...(opts.model === 'airbench' ? { whitening: opts.whitening, alternatingFlip: opts.alternatingFlip } : {}),
    data: { train: data.XTrain.shape[0], val: data.XVal.shape[0], test: data.XTest.shape[0], digest: data.digest },
  };
  const numEpochs = opts.epochs ?? (ctx.quick ? QUICK.epochs : (plannedEpochs ?? DEFAULT_EPOCHS));
  const schedule = newSchedule(opts, numEpochs);
  const model = newModel(ctx, opts);
  const iterationsPerEpoch = Math.max(Math.floor(data.XTrain.shape[0] / opts.batchSize), 1);
  let airbench: Pick<SolverOptions, 'optimConfig' | 'optimConfigFor'> = {};
  if (model instanceof Airbench) {
    if (opts.whitening) {
      const whitening = data.XTrain.shape[0] > AIRBENCH.whiteningImages ? tf.slice(data.XTrain, 0, AIRBENCH.whiteningImages) : data.XTrain;
      model.initWhitening(whitening as tf.Tensor4D);
      if (whitening !== data.XTrain) whitening.dispose();
    } else {
      ctx.log('--no-whitening: the first layer keeps the plain 2x2 patch basis (its filters and their negatives)');
    }
    const lookahead: Record<string, number> = opts.updateRule === 'sgd_nesterov_lookahead' ? { lookaheadEvery: AIRBENCH.lookaheadEvery, lookaheadSteps: numEpochs * iterationsPerEpoch } : {};
    airbench = {
      optimConfig: { momentum: AIRBENCH.momentum, weightDecay: opts.reg, ...lookahead },
      optimConfigFor: (name): Record<string, number> => (name.startsWith('beta') ? { lrScale: AIRBENCH.biasScale } : {}),
    };
  }
  const solver = new Solver(model, data, {
    ...common,
    ...airbench,
    onEpochEnd: onEpochEndWith(checkpointEachEpoch(checkpointDir, CHECKPOINT_NAME, { run, lrSchedule: schedule })),
    updateRule: opts.updateRule,
    lrSchedule: scheduleFunction(schedule),
    batchSize: opts.batchSize,
    numEpochs,
    seed: ctx.rng.nextUint32(),
  });
  ctx.log(`new run ${run.id} (its checkpoints record it; --resume continues only this run)`);
  return { model, solver, run, schedule };
}

/** The checkpoint to continue from (or null for a fresh run), checked to belong to the run this command continues. */
function checkpointToResume(ctx: ScriptContext, opts: TrainOptions, explicit: (name: string) => boolean, checkpointDir: string): Checkpoint | null {
  const c = prepareCheckpoints(checkpointDir, CHECKPOINT_NAME, { resume: opts.resume, restart: opts.restart, log: ctx.log, describeRun: describeSavedRun });
  try {
    if (c) checkSameRun<TrainRunRecord>(c, 'train', isTrainCheckpoint, (run) => runDifferences(c, run, ctx, opts, explicit));
  } catch (err) {
    if (c) disposeCheckpoint(c);
    throw err;
  }
  return c;
}

async function main(): Promise<void> {
  const { opts, explicit } = parseTrainOptions();
  const started = Date.now();
  const ctx = await startScript('train', opts);
  const checkpointDir = prepareCheckpointDir(path.join(ctx.outDir, 'checkpoints'));
  let resumeFrom = checkpointToResume(ctx, opts, explicit, checkpointDir);
  let data: TrainData | null = null;
  let built: Built | null = null;
  try {
    data = await loadData(ctx);
    if (resumeFrom) checkSameData(resumeFrom, { train: data.XTrain.shape[0], val: data.XVal.shape[0], test: data.XTest.shape[0], digest: data.digest });
    const fresh = !resumeFrom && !ctx.quick && opts.epochs === undefined;
    let planned: number | null = null;
    if (fresh && opts.model === 'resnet') planned = planEpochs(ctx, opts, data, started);
    if (fresh && opts.model === 'airbench') {
      const plan = planAirbench(ctx, opts, data, started);
      planned = plan.epochs;
      opts.widths = plan.widths;
    }
    opts.widths ??= ctx.quick ? [16, 32, 32] : [64, 128, 128];
    opts.ttaShifts ??= opts.timeBudget >= TTA_SHIFTS_MIN_BUDGET;
    built = buildModelAndSolver(ctx, opts, data, checkpointDir, resumeFrom, planned);
    const resumedFromEpoch = resumeFrom ? resumeFrom.epoch : null;
    if (resumeFrom) disposeCheckpoint(resumeFrom);
    resumeFrom = null;
    const { model: m, solver: s, schedule } = built;
    const numParams = Object.values(m.params).reduce((sum, p) => sum + p.size, 0);
    ctx.log(
      `${describeSpec(m.kind, m.options)}, ${numParams} parameters; ${s.updateRuleName}, ${describeSchedule(schedule)}, batch ${s.batchSize}, ` +
        `${s.numEpochs} epochs of ${s.iterationsPerEpoch} iterations, augmentation ${!opts.augment ? 'off' : m instanceof Airbench ? `${opts.alternatingFlip ? 'alternating' : 'random'} flip + reflect-padded translation (2)` : 'flip + crop (pad 4)'}, ` +
        `test-time augmentation ${!opts.tta ? 'off' : m instanceof Airbench && opts.ttaShifts ? 'flips and 1-pixel shifts' : 'flip averaging'}`,
    );
    const times = trainWithinBudget(ctx, opts, s, data, started);
    const bestEpoch = chooseFinalParams(ctx, s, schedule, data, times.stoppedBy);
    const ev = evaluate(ctx, opts, m, data);
    await drawFigures(ctx.outDir, s, schedule, m, ev);
    report(ctx, opts, { record: built.run, resumedFromEpoch, started, schedule }, m, s, data, times, bestEpoch, ev);
  } finally {
    if (resumeFrom) disposeCheckpoint(resumeFrom);
    built?.solver.dispose();
    built?.model.dispose();
    if (data) tf.dispose([data.XTrain, data.yTrain, data.XVal, data.yVal, data.XTest, data.yTest]);
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
