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
import { QUICK, DEFAULT_EPOCHS, TrainOptions, parseTrainOptions } from './lib/train_options';
import { TrainModel, TrainRunRecord, describeSavedRun, describeSchedule, describeSpec, isTrainCheckpoint, modelFromSpec, newModel, newSchedule, runDifferences } from './lib/train_run';
import { TrainData, chooseFinalParams, planEpochs, trainWithinBudget } from './lib/train_budget';
import { drawFigures, evaluate, report } from './lib/train_report';
import { augmentBatch } from '../src/data/augment';
import { Solver, SolverOptions } from '../src/solver';
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

/** The model and the Solver: rebuilt from the checkpoint when resuming, else new from the flags. */
function buildModelAndSolver(ctx: ScriptContext, opts: TrainOptions, data: TrainData, checkpointDir: string, resumeFrom: Checkpoint | null, plannedEpochs: number | null): Built {
  const augment = (X: tf.Tensor, rng: Rng) => augmentBatch(X as tf.Tensor4D, rng, { flip: true, padding: 4 });
  const common: SolverOptions = { log: ctx.log, printEvery: 50, ...(opts.augment ? { augment } : {}) };
  if (resumeFrom) {
    // The checkpoint says what was trained: the model is rebuilt from its options, the Solver from its settings.
    const run = resumeFrom.run as TrainRunRecord;
    const schedule = resumeFrom.solver?.lrSchedule ?? null;
    const spec = resumeFrom.model as { kind: string; options: unknown };
    const model = modelFromSpec(spec.kind, spec.options);
    try {
      const onEpochEnd = checkpointEachEpoch(checkpointDir, CHECKPOINT_NAME, { run, lrSchedule: schedule });
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
    data: { train: data.XTrain.shape[0], val: data.XVal.shape[0], test: data.XTest.shape[0], digest: data.digest },
  };
  const numEpochs = opts.epochs ?? (ctx.quick ? QUICK.epochs : (plannedEpochs ?? DEFAULT_EPOCHS));
  const schedule = newSchedule(opts, numEpochs);
  const model = newModel(ctx, opts);
  const solver = new Solver(model, data, {
    ...common,
    onEpochEnd: checkpointEachEpoch(checkpointDir, CHECKPOINT_NAME, { run, lrSchedule: schedule }),
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
    const planned = !resumeFrom && !ctx.quick && opts.epochs === undefined && opts.model === 'resnet' ? planEpochs(ctx, opts, data, started) : null;
    built = buildModelAndSolver(ctx, opts, data, checkpointDir, resumeFrom, planned);
    const resumedFromEpoch = resumeFrom ? resumeFrom.epoch : null;
    if (resumeFrom) disposeCheckpoint(resumeFrom);
    resumeFrom = null;
    const { model: m, solver: s, schedule } = built;
    const numParams = Object.values(m.params).reduce((sum, p) => sum + p.size, 0);
    ctx.log(
      `${describeSpec(m.kind, m.options)}, ${numParams} parameters; ${s.updateRuleName}, ${describeSchedule(schedule)}, batch ${s.batchSize}, ` +
        `${s.numEpochs} epochs of ${s.iterationsPerEpoch} iterations, augmentation ${opts.augment ? 'flip + crop (pad 4)' : 'off'}, ` +
        `test-time augmentation ${opts.tta ? 'flip averaging' : 'off'}`,
    );
    const times = trainWithinBudget(ctx, opts, s, data, started);
    const bestEpoch = chooseFinalParams(ctx, s, schedule, data, times.stoppedBy);
    const ev = evaluate(ctx, opts, m, data);
    await drawFigures(ctx.outDir, s, schedule, m, ev, opts.tta);
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
