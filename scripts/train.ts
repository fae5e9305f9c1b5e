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
 * (planEpochs), so that the schedule ends when the budget does. Each model's recipe (batch size, update rule,
 * learning rate, schedule, weight decay, label smoothing) is in RECIPES; a flag overrides one part.
 *
 * Runs and --resume: every fresh run gets a run id, recorded in each checkpoint with the settings a resume must
 * match (quick, seed, data sizes, architecture). A fresh run into an --out that already holds checkpoints is
 * refused (--restart deletes them first); --resume continues that run only if the command agrees with it, from the
 * newest checkpoint that loads, saying which newer ones it skipped and why. Leftovers of a killed save are
 * removed and named at start.
 *
 * Output (runs/train/ by default): checkpoints/ckpt_epoch_<e>.json and its weights (written by the Solver; see
 * runtime/checkpoint.ts for why a kill never loses one),
 * metrics.json (test_acc with and without flip averaging, epochs, seconds, histories, confusion matrix,
 * configuration), lr.png, loss.png, accuracy.png, confusion.png, filters.png.
 * Solver lines and progress go to stderr, the summary table to stdout.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Command, InvalidArgumentError } from 'commander';
import { CommonOptions, ScriptContext, createCommand, parseNonNegativeNumber, parseNumberIn, parsePositiveInt, parsePositiveNumber, startScript } from './lib/cli';
import { printSummary, writeMetrics } from './lib/run_dir';
import { fitSplitSizes, loadCifarForScript, preprocessForScript } from './lib/cifar';
import { ConvBlock, ConvNet, ConvNetOptions, DEFAULT_BLOCKS, describeBlocks } from '../src/classifiers/convnet';
import { ResNet, ResNetOptions } from '../src/classifiers/resnet';
import { withFlipAveraging } from '../src/classifiers/tta';
import { accuracy, modelPredictions } from '../src/classifiers/accuracy';
import { CLASS_NAMES } from '../runtime/data/cifar10_format';
import { LrSchedule, learningRateAt } from '../src/optim/schedule';
import { augmentBatch } from '../src/data/augment';
import { RECORDS_PER_BATCH } from '../runtime/data/cifar10_format';
import { Checkpoint, CheckpointError, RunRecord, cleanCheckpointDir, disposeCheckpoint, loadLatestCheckpoint, prepareCheckpointDir, readManifest } from '../runtime/checkpoint';
import { UPDATE_RULE_NAMES, UpdateRuleName } from '../src/optim';
import { Solver, SolverData } from '../src/solver';
import { Rng } from '../src/random';
import { confusionMatrixChart, lineChart } from '../runtime/vis/chart';
import { GridImage, imageGrid } from '../runtime/vis/image_grid';

type ModelChoice = 'resnet' | 'convnet';
type ScheduleChoice = 'one-cycle' | 'step';

interface Options extends CommonOptions {
  model: ModelChoice;
  epochs?: number;
  timeBudget: number;
  batchSize: number;
  updateRule: UpdateRuleName;
  lr: number;
  schedule: ScheduleChoice;
  warmup: number;
  lrDecay: number;
  reg: number;
  width: number;
  residual: boolean;
  labelSmoothing: number;
  blocks: ConvBlock[];
  hidden: number[];
  augment: boolean;
  tta: boolean;
  resume: boolean;
  restart: boolean;
  valEvery?: number;
}

/** The ConvNet's epochs; the ResNet's are planned to fill the time budget (planEpochs). */
const DEFAULT_EPOCHS = 10;
/**
 * Each model's recipe, the defaults of the flags that differ. ResNet: SGD with momentum on a one-cycle schedule,
 * weight decay 5e-4 and label smoothing 0.2, as Page's ResNet-9 (peak rate scaled to the batch); ConvNet: Adam with
 * a per-epoch decay, as before.
 */
const RECIPES: Record<ModelChoice, { batchSize: number; updateRule: UpdateRuleName; lr: number; schedule: ScheduleChoice; reg: number; labelSmoothing: number }> = {
  resnet: { batchSize: 256, updateRule: 'sgd_momentum', lr: 0.2, schedule: 'one-cycle', reg: 5e-4, labelSmoothing: 0.2 },
  convnet: { batchSize: 64, updateRule: 'adam', lr: 1e-3, schedule: 'step', reg: 1e-4, labelSmoothing: 0 },
};
type TrainModel = ConvNet | ResNet;
/** Minutes: two hours, less a margin for loading, the evaluation and the figures. */
const DEFAULT_TIME_BUDGET = 115;
const QUICK = { trainImages: 640, valImages: 200, epochs: 2 };
/**
 * planEpochs' timing: steps discarded, then steps timed. The first steps of a fresh process run slower while wasm
 * grows its memory: with 2 discarded and the mean of 3 the first default run planned for 3.13 s per step and then
 * took 2.57 to 2.78 s per step (epochs of 491 to 530 s), ending after 92 of its 115 minutes.
 */
const PLAN_WARMUP_STEPS = 4;
const PLAN_TIMED_STEPS = 5;
/**
 * Time an epoch takes beyond its steps as timed by planEpochs: on the idle 2-core machine this planner timed 2.37 s
 * per step, while the default run's epochs took 491 to 530 s for 191 steps (2.57 to 2.78 s per step with the
 * accuracy checks, the checkpoint and the updates), 8 to 17% more.
 */
const PLAN_MARGIN = 0.15;
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

function parseModel(value: string): ModelChoice {
  if (value === 'resnet' || value === 'convnet') return value;
  throw new InvalidArgumentError(`--model must be resnet or convnet, got '${value}'`);
}

function parseSchedule(value: string): ScheduleChoice {
  if (value === 'one-cycle' || value === 'step') return value;
  throw new InvalidArgumentError(`--schedule must be one-cycle or step, got '${value}'`);
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

/**
 * Re-estimates batchnorm's running statistics for the parameters the model now holds: `batches` train-mode passes
 * on augmented training minibatches (the statistics the training steps saw). Each pass moves the running averages
 * 10% of the way (momentum 0.9), so after 50 the old values weigh 0.9^50 < 1%. Needed when the Solver restored an
 * earlier epoch's parameters: the running statistics (model state, not parameters) are still the last epoch's.
 */
function recalibrateBatchnorm(model: TrainModel, data: SolverData, rng: Rng, batches: number, batchSize: number, augment: boolean): void {
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
async function drawFilters(file: string, model: TrainModel): Promise<void> {
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

/** What a train run's checkpoints record about it (see RunRecord): what a resume must agree with. */
interface TrainRunRecord extends RunRecord {
  script: 'train';
  quick: boolean;
  seed: number;
  augment: boolean;
  /** Evaluation with test-time augmentation (flip averaging). */
  tta?: boolean;
  /** Images in each split this run trains, validates and tests on. */
  data: { train: number; val: number; test: number };
}

function buildCommand(): Command {
  return createCommand('train', 'train the best net we can on CIFAR-10: a residual net, one-cycle schedule, augmentation, checkpoints, test evaluation')
    .option('--model <name>', 'resnet (the residual net, default) | convnet (the plain ConvNet of --blocks)', parseModel, 'resnet' as ModelChoice)
    .option(
      '--epochs <n>',
      `epochs to train (default: resnet, as many as fit in --time-budget; convnet ${DEFAULT_EPOCHS}; ${QUICK.epochs} with --quick; with --resume, the checkpoint's)`,
      parsePositiveInt('--epochs'),
    )
    .option('--time-budget <minutes>', 'stop at the last epoch boundary that keeps the whole run within this many minutes', parsePositiveNumber('--time-budget'), DEFAULT_TIME_BUDGET)
    .option('--batch-size <n>', 'minibatch size (default resnet 256, convnet 64)', parsePositiveInt('--batch-size'))
    .option('--update-rule <name>', `${UPDATE_RULE_NAMES.join(' | ')} (default resnet sgd_momentum, convnet adam)`, parseUpdateRule)
    .option('--lr <x>', 'learning rate: the peak of a one-cycle schedule, the start of a step schedule (default resnet 0.2, convnet 1e-3)', parsePositiveNumber('--lr'))
    .option('--schedule <name>', 'one-cycle (warm-up, then a linear decay to 0) | step (times --lr-decay every epoch); default resnet one-cycle, convnet step', parseSchedule)
    .option('--warmup <fraction>', 'one-cycle: the fraction of the epochs spent rising to the peak', parseNumberIn('--warmup', 0, 1, 'max'), 0.2)
    .option('--lr-decay <x>', 'step schedule: learning rate multiplied by this after every epoch', parseNumberIn('--lr-decay', 0, 1, 'min'), 0.8)
    .option('--reg <x>', 'L2 regularisation strength, the weight decay (default resnet 5e-4, convnet 1e-4)', parseNonNegativeNumber('--reg'))
    .option('--width <n>', 'resnet: channels of the first layer (the others 2, 4 and 8 times as many)', parsePositiveInt('--width'), 16)
    .option('--no-residual', 'resnet: drop the skip connections (the same layers as a plain net)')
    .option('--label-smoothing <eps>', 'softmax loss label smoothing in [0, 1) (default resnet 0.2, convnet 0; resnet only)', parseNumberIn('--label-smoothing', 0, 1, 'max'))
    .option('--no-tta', 'evaluate without test-time augmentation (averaging the scores of each test image and its mirror)')
    .option('--blocks <list>', 'conv blocks: filters each, p for a 2x2 max pool after', parseBlocks, DEFAULT_BLOCKS.map((b) => ({ ...b })))
    .option('--hidden <dims>', "hidden affine layers of the head, e.g. 256 or 256,128 ('none' for none)", parseHidden, [] as number[])
    .option('--no-augment', 'no random flips and crops')
    .option('--resume', 'continue the run whose checkpoints are in the output folder (same --quick, --seed and data)', false)
    .option('--restart', 'delete the checkpoints already in the output folder and start a new run', false)
    .option('--val-every <n>', 'also check validation accuracy every n iterations (progress within long epochs)', parsePositiveInt('--val-every'));
}

/** Parses and checks the flags. explicit(name): whether the user gave that flag (not its default). */
function parseOptions(): { opts: Options; explicit: (name: string) => boolean } {
  const program = buildCommand();
  program.parse();
  const opts = program.opts<Options>();
  // Flags left out take the chosen model's recipe.
  const recipe = RECIPES[opts.model];
  opts.batchSize ??= recipe.batchSize;
  opts.updateRule ??= recipe.updateRule;
  opts.lr ??= recipe.lr;
  opts.schedule ??= recipe.schedule;
  opts.reg ??= recipe.reg;
  opts.labelSmoothing ??= recipe.labelSmoothing;
  if (!(opts.warmup >= 0 && opts.warmup < 1)) program.error(`error: --warmup must be in [0, 1), got ${opts.warmup}`);
  if (!(opts.labelSmoothing >= 0 && opts.labelSmoothing < 1)) program.error(`error: --label-smoothing must be in [0, 1), got ${opts.labelSmoothing}`);
  if (opts.model === 'convnet' && opts.labelSmoothing !== 0) program.error('error: --label-smoothing is a resnet option (the ConvNet uses the plain softmax loss)');
  if (!(opts.timeBudget > 0)) program.error(`error: --time-budget must be a positive number of minutes, got ${opts.timeBudget}`);
  if (!(opts.lr > 0)) program.error(`error: --lr must be positive, got ${opts.lr}`);
  if (!(opts.lrDecay > 0 && opts.lrDecay <= 1)) program.error(`error: --lr-decay must be in (0, 1], got ${opts.lrDecay}`);
  if (!(opts.reg >= 0)) program.error(`error: --reg must be >= 0, got ${opts.reg}`);
  if (opts.resume && opts.restart) program.error('error: --resume continues the run in the output folder and --restart deletes it; pass one');
  return { opts, explicit: (name) => program.getOptionValueSource(name) === 'cli' };
}

const CHECKPOINT_FILE = new RegExp(`^${CHECKPOINT_NAME}_epoch_(\\d+)(\\.[0-9a-f]{12})?\\.(json|bin)$`);

/** The checkpoint files (manifests and weights) in dir, manifests first. */
function checkpointFiles(dir: string): string[] {
  const names = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => CHECKPOINT_FILE.test(f)) : [];
  return names.sort((a, b) => Number(b.endsWith('.json')) - Number(a.endsWith('.json')) || a.localeCompare(b));
}

/** "run 2026-...-3fa2c1 (ConvNet 32-32p-64-64p-128p, quick, seed 0), up to epoch 2": the newest manifest's run, read as JSON. */
function describeSavedRun(dir: string, files: string[]): string {
  const manifests = files.filter((f) => f.endsWith('.json')).sort((a, b) => Number(CHECKPOINT_FILE.exec(b)?.[1]) - Number(CHECKPOINT_FILE.exec(a)?.[1]));
  try {
    const m = readManifest(path.join(dir, manifests[0]));
    const run = m.run as Partial<TrainRunRecord> | null;
    const arch = m.model ? describeSpec(m.model.kind, m.model.options) : 'a model';
    const how = run ? `run ${run.id} (${arch}${run.quick ? ', quick' : ''}, seed ${run.seed})` : `a run of unknown settings (${arch})`;
    return `${how}, up to epoch ${m.epoch}`;
  } catch {
    return `${manifests.length} checkpoint(s) that cannot be read`;
  }
}

/**
 * Looks at what the output folder's checkpoints/ holds before anything is trained: leftovers of killed saves are
 * removed (and named); a fresh run into a folder holding checkpoints is refused unless --restart, which deletes
 * them; --resume returns the newest checkpoint that loads (naming the ones it skipped) after checking that this
 * command continues the same run. The returned checkpoint's tensors are the caller's.
 */
function prepareCheckpoints(ctx: ScriptContext, opts: Options, explicit: (name: string) => boolean, checkpointDir: string): Checkpoint | null {
  for (const line of cleanCheckpointDir(checkpointDir)) ctx.log(line);
  const files = checkpointFiles(checkpointDir);
  if (!opts.resume) {
    if (files.length === 0) return null;
    const saved = describeSavedRun(checkpointDir, files);
    if (!opts.restart) {
      throw new CheckpointError(
        `${checkpointDir} already holds the checkpoints of ${saved}. Continue that run with --resume (with its --quick and --seed), ` +
          'pass --restart to delete them and start a new run, or choose another --out',
      );
    }
    // Manifests first: a restart killed half-way leaves only weights no manifest names, which the next start removes.
    for (const f of files) fs.rmSync(path.join(checkpointDir, f), { force: true });
    ctx.log(`--restart: deleted the checkpoints of ${saved}`);
    return null;
  }
  const { checkpoint, skipped } = loadLatestCheckpoint(checkpointDir, CHECKPOINT_NAME);
  for (const s of skipped) ctx.log(`--resume: skipping ${path.basename(s.manifestPath)}: ${s.reason}`);
  if (checkpoint === null) {
    throw new CheckpointError(
      skipped.length > 0
        ? `--resume: none of the ${skipped.length} checkpoint(s) in ${checkpointDir} loads (see above); start a new run with --restart`
        : `--resume: no checkpoint ${CHECKPOINT_NAME}_epoch_<e>.json in ${checkpointDir}; run without --resume first (same --out)`,
    );
  }
  if (skipped.length > 0) ctx.log(`--resume: falling back to ${path.basename(checkpoint.manifestPath)}, the newest checkpoint that loads`);
  try {
    checkSameRun(checkpoint, ctx, opts, explicit);
  } catch (err) {
    disposeCheckpoint(checkpoint);
    throw err;
  }
  return checkpoint;
}

/**
 * Throws unless this command continues the checkpoint's run: the same --quick, --seed and augmentation, and no
 * flag given that contradicts what the checkpoint trained (architecture, regularisation, batch size, update rule,
 * learning-rate decay). Lists every difference.
 */
function checkSameRun(c: Checkpoint, ctx: ScriptContext, opts: Options, explicit: (name: string) => boolean): void {
  const where = path.basename(c.manifestPath);
  const run = c.run as Partial<TrainRunRecord> | null;
  if (run === null || run.script !== 'train' || (c.model?.kind !== 'ConvNet' && c.model?.kind !== 'ResNet')) {
    throw new CheckpointError(
      `--resume: ${c.manifestPath} records no run of this script (an older checkpoint format, or another script's); ` +
        'it cannot be told apart from another run: start a new run with --restart, or choose another --out',
    );
  }
  const diffs: string[] = [];
  if (run.quick !== ctx.quick) diffs.push(run.quick ? 'it was a --quick run: add --quick' : 'it was not a --quick run: drop --quick');
  if (run.seed !== ctx.seed) diffs.push(`it used --seed ${run.seed}, this command --seed ${ctx.seed}`);
  if (run.augment !== opts.augment) diffs.push(run.augment ? 'it trained with augmentation: drop --no-augment' : 'it trained without augmentation: add --no-augment');
  const differs = (flag: string, name: string, theirs: string, ours: string) => {
    if (explicit(name) && theirs !== ours) diffs.push(`it trained ${flag} ${theirs}, this command asks for ${flag} ${ours}`);
  };
  const kind = c.model.kind === 'ResNet' ? 'resnet' : 'convnet';
  differs('--model', 'model', kind, opts.model);
  if (c.model.kind === 'ResNet') {
    const saved = c.model.options as ResNetOptions;
    differs('--width', 'width', String(saved.width), String(opts.width));
    differs('--residual', 'residual', String(saved.residual), String(opts.residual));
    differs('--label-smoothing', 'labelSmoothing', String(saved.labelSmoothing), String(opts.labelSmoothing));
    differs('--reg', 'reg', String(saved.reg), String(opts.reg));
  } else {
    const saved = c.model.options as ConvNetOptions;
    differs('--blocks', 'blocks', describeBlocks(saved.blocks ?? DEFAULT_BLOCKS), describeBlocks(opts.blocks));
    differs('--hidden', 'hidden', (saved.hiddenDims ?? []).join(',') || 'none', opts.hidden.join(',') || 'none');
    differs('--reg', 'reg', String(saved.reg), String(opts.reg));
  }
  differs('--batch-size', 'batchSize', String(c.solver?.batchSize), String(opts.batchSize));
  differs('--update-rule', 'updateRule', String(c.optimizer?.updateRule), opts.updateRule);
  const schedule = c.solver?.lrSchedule;
  differs('--schedule', 'schedule', schedule?.kind === 'one-cycle' ? 'one-cycle' : 'step', opts.schedule);
  if (schedule?.kind === 'step-decay') differs('--lr-decay', 'lrDecay', String(schedule.decay), String(opts.lrDecay));
  for (const flag of ['lr', 'warmup']) {
    if (explicit(flag)) diffs.push(`--${flag} shapes the learning-rate schedule of a new run; a resumed run continues on its own`);
  }
  if (diffs.length > 0) {
    throw new CheckpointError(
      `--resume: ${where} belongs to run ${run.id}, which this command does not continue:\n  ${diffs.join('\n  ')}\n` +
        '(--resume continues a run as it was started; for another run, choose another --out or pass --restart)',
    );
  }
}

/** Throws unless the data loaded now has the sizes the resumed run trained on (another CIFAR10_DIR, or --quick). */
function checkSameData(c: Checkpoint, data: TrainData): void {
  const saved = (c.run as TrainRunRecord).data;
  const now = { train: data.XTrain.shape[0], val: data.XVal.shape[0], test: data.XTest.shape[0] };
  if (saved?.train !== now.train || saved.val !== now.val || saved.test !== now.test) {
    const sizes = (d: { train: number; val: number; test: number } | undefined) => (d ? `${d.train} / ${d.val} / ${d.test}` : 'unrecorded sizes');
    throw new CheckpointError(
      `--resume: ${path.basename(c.manifestPath)} trained on ${sizes(saved)} train / val / test images, but this data has ${sizes(now)}; ` +
        'its epochs would count passes over another set. Resume with the same data (CIFAR10_DIR) and --quick',
    );
  }
}

/** A new run id: the start time and a few random hex digits (an identity, not a draw that changes results). */
function newRunId(): string {
  return `${new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;
}

/** "ResNet w16" or "ConvNet 32-32p-64-64p-128p + fc 256": a model kind and its options in a few words. */
function describeSpec(kind: string, options: unknown): string {
  if (kind === 'ResNet') {
    const o = options as ResNetOptions;
    return `ResNet-9 width ${o.width}${o.residual === false ? ' without skip connections' : ''}`;
  }
  if (kind === 'ConvNet') {
    const o = options as ConvNetOptions;
    return `ConvNet ${describeBlocks(o.blocks ?? DEFAULT_BLOCKS)}${o.hiddenDims?.length ? ` + fc ${o.hiddenDims.join(',')}` : ''}`;
  }
  return kind;
}

/** A model rebuilt from its checkpointed kind and options. */
function modelFromSpec(kind: string, options: unknown): TrainModel {
  if (kind === 'ResNet') return new ResNet(options as ResNetOptions);
  return new ConvNet(options as ConvNetOptions);
}

function describeSchedule(s: LrSchedule | null): string {
  if (s === null) return 'constant learning rate';
  if (s.kind === 'step-decay') return `learning rate ${s.start} times ${s.decay} every epoch`;
  return `one-cycle learning rate ${s.start} -> ${s.peak} (epoch ${Number(s.warmupEpochs.toFixed(2))}) -> ${s.end} (epoch ${s.totalEpochs})`;
}

/** The model of a fresh run, from the flags. */
function newModel(ctx: ScriptContext, opts: Options): TrainModel {
  const seed = ctx.rng.nextUint32();
  if (opts.model === 'resnet') {
    return new ResNet({ width: opts.width, residual: opts.residual, labelSmoothing: opts.labelSmoothing, reg: opts.reg, seed });
  }
  return new ConvNet({ blocks: opts.blocks, hiddenDims: opts.hidden, reg: opts.reg, seed });
}

/** The learning-rate schedule of a fresh run of `epochs` epochs. */
function newSchedule(opts: Options, epochs: number): LrSchedule {
  if (opts.schedule === 'step') return { kind: 'step-decay', start: opts.lr, decay: opts.lrDecay };
  return { kind: 'one-cycle', start: 0, peak: opts.lr, end: 0, warmupEpochs: opts.warmup * epochs, totalEpochs: epochs };
}

/**
 * Epochs of a fresh ResNet run without --epochs: as many as fit in the time budget, so that the one-cycle schedule
 * ends (its learning rate reaches 0) when the budget does. Times training steps of a throwaway model of the same
 * shape on real minibatches (the median of PLAN_TIMED_STEPS after PLAN_WARMUP_STEPS), adds PLAN_MARGIN for the
 * Solver's own work and a machine that slows down, and sets the evaluation's time aside. Returns at least 1.
 */
function planEpochs(ctx: ScriptContext, opts: Options, data: TrainData, started: number): number {
  const probe = new ResNet({ width: opts.width, residual: opts.residual, labelSmoothing: opts.labelSmoothing, reg: opts.reg });
  const rng = ctx.rng.fork();
  const n = data.XTrain.shape[0];
  const batch = Math.min(opts.batchSize, n);
  const times: number[] = [];
  try {
    for (let i = 0; i < PLAN_WARMUP_STEPS + PLAN_TIMED_STEPS; i++) {
      const t0 = Date.now();
      tf.tidy(() => {
        const idx = tf.tensor2d(rng.choice(n, batch), [batch, 1], 'int32');
        const X = augmentBatch(tf.gatherND(data.XTrain, idx) as tf.Tensor4D, rng, { flip: true, padding: 4 });
        const { loss, grads } = probe.loss(X, tf.gatherND(data.yTrain, idx) as tf.Tensor1D);
        loss.dataSync();
        for (const g of Object.values(grads)) g.dataSync();
      });
      if (i >= PLAN_WARMUP_STEPS) times.push((Date.now() - t0) / 1000);
    }
  } finally {
    probe.dispose();
  }
  const perStep = [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)];
  const stepsPerEpoch = Math.max(Math.floor(n / opts.batchSize), 1);
  // Test-mode passes cost about a third of a training step per image; TTA doubles them.
  const evalImages = (data.XVal.shape[0] + 2 * data.XTest.shape[0]) * (opts.tta ? 2 : 1);
  const evalSeconds = (perStep / batch) * (evalImages / 3) + 30;
  const left = opts.timeBudget * 60 - (Date.now() - started) / 1000 - evalSeconds;
  const epochSeconds = perStep * stepsPerEpoch * (1 + PLAN_MARGIN);
  const epochs = Math.max(1, Math.floor(left / epochSeconds));
  ctx.log(
    `planning: ${perStep.toFixed(2)} s per step of ${batch} images, ~${(epochSeconds / 60).toFixed(1)} min per epoch with a ${PLAN_MARGIN * 100}% margin: ` +
      `${epochs} epochs fit in the ${opts.timeBudget}-minute budget (pass --epochs to fix the number)`,
  );
  return epochs;
}

/** The model and the Solver: rebuilt from the checkpoint when resuming, else new from the flags. */
function buildModelAndSolver(
  ctx: ScriptContext,
  opts: Options,
  data: TrainData,
  checkpointDir: string,
  resumeFrom: Checkpoint | null,
  plannedEpochs: number | null,
): { model: TrainModel; solver: Solver; run: TrainRunRecord } {
  const augment = (X: tf.Tensor, rng: Rng) => augmentBatch(X as tf.Tensor4D, rng, { flip: true, padding: 4 });
  const common = {
    log: ctx.log,
    checkpointName: CHECKPOINT_NAME,
    checkpointDir,
    printEvery: 50,
    ...(opts.augment ? { augment } : {}),
  };
  if (resumeFrom) {
    // The checkpoint says what was trained: the model is rebuilt from its options, the Solver from its settings.
    const run = resumeFrom.run as TrainRunRecord;
    const spec = resumeFrom.model as { kind: string; options: unknown };
    const model = modelFromSpec(spec.kind, spec.options);
    try {
      const solver = new Solver(model, data, { ...common, resume: resumeFrom, run, ...(opts.epochs !== undefined ? { numEpochs: opts.epochs } : {}) });
      ctx.log(
        `resumed run ${run.id} from ${resumeFrom.manifestPath}: epoch ${solver.epoch} of ${solver.numEpochs}, iteration ${solver.iteration} ` +
          '(model and Solver settings from the checkpoint)',
      );
      if (solver.iteration >= solver.numIterations) ctx.log(`the run already has ${solver.epoch} epochs; nothing left to train (raise --epochs for more): evaluating`);
      return { model, solver, run };
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
    data: { train: data.XTrain.shape[0], val: data.XVal.shape[0], test: data.XTest.shape[0] },
  };
  const numEpochs = opts.epochs ?? (ctx.quick ? QUICK.epochs : (plannedEpochs ?? DEFAULT_EPOCHS));
  const model = newModel(ctx, opts);
  const solver = new Solver(model, data, {
    ...common,
    run,
    updateRule: opts.updateRule,
    optimConfig: { learningRate: opts.lr },
    lrSchedule: newSchedule(opts, numEpochs),
    batchSize: opts.batchSize,
    numEpochs,
    seed: ctx.rng.nextUint32(),
  });
  ctx.log(`new run ${run.id} (its checkpoints record it; --resume continues only this run)`);
  return { model, solver, run };
}

type StoppedBy = 'epochs' | 'time budget' | 'time budget, mid-epoch';

interface TrainingTimes {
  stoppedBy: StoppedBy;
  epochSeconds: number[];
  iterationSeconds: number[];
  valChecks: { iteration: number; val_acc: number }[];
  trainSeconds: number;
}

/**
 * The training loop, one iteration at a time: validation checks between epochs (--val-every) and stops within
 * the time budget, at an epoch boundary when another epoch would not fit, mid-epoch only when the epoch under
 * way cannot end in time (the first epoch of a short budget on a slow machine). started: the script's start (ms).
 */
function trainWithinBudget(ctx: ScriptContext, opts: Options, s: Solver, data: TrainData, started: number): TrainingTimes {
  const budgetSeconds = opts.timeBudget * 60;
  const epochSeconds: number[] = [];
  const iterationSeconds: number[] = [];
  const valChecks: { iteration: number; val_acc: number }[] = [];
  const trainStarted = Date.now();
  let epochStarted = trainStarted;
  let stoppedBy: StoppedBy = 'epochs';
  /**
   * Seconds the end of the run takes: forward passes over val + test (about a third of a training step per
   * image), a batchnorm recalibration, the figures.
   */
  const evaluationSeconds = (perIteration: number) =>
    (perIteration / s.batchSize) * ((data.XVal.shape[0] + data.XTest.shape[0]) / 3 + RECALIBRATION_BATCHES * s.batchSize) + 10;
  const elapsed = () => (Date.now() - started) / 1000;
  const bar = ctx.progressBar(s.numIterations, 'train', ['epoch', 'loss']);
  try {
    bar.update(s.iteration, { epoch: s.epoch, loss: '' });
    let more = s.iteration < s.numIterations;
    while (more) {
      const epochBefore = s.epoch;
      const iterationStarted = Date.now();
      more = s.trainIteration();
      bar.update(s.iteration, { epoch: s.epoch, loss: s.lossHistory[s.lossHistory.length - 1].toFixed(4) });
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
  return { stoppedBy, epochSeconds, iterationSeconds, valChecks, trainSeconds: (Date.now() - trainStarted) / 1000 };
}

/**
 * Puts the parameters to evaluate in the model: the Solver's best by validation accuracy, with batchnorm
 * statistics re-estimated when they are older than the last step. After a mid-epoch stop the current parameters
 * are checked first: the Solver's best are then from the last epoch boundary, perhaps only from the check after
 * the first step. Returns the (possibly fractional) epoch of the parameters kept and whether batchnorm was
 * recalibrated.
 */
function chooseFinalParams(ctx: ScriptContext, opts: Options, m: TrainModel, s: Solver, data: TrainData, stoppedBy: StoppedBy): { bestEpoch: number; recalibrated: boolean } {
  if (s.lrSchedule?.kind === 'one-cycle' && stoppedBy === 'epochs') {
    // The schedule's end (learning rate 0) is the point of the run: keep the last parameters rather than an
    // earlier epoch that did as well on 1,000 validation images by chance.
    ctx.log(`one-cycle schedule completed: evaluating the last parameters (epoch ${s.epoch}; best validation accuracy ${s.bestValAcc.toFixed(4)})`);
    return { bestEpoch: s.epoch, recalibrated: false };
  }
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
  return { bestEpoch, recalibrated };
}

interface Evaluation {
  valAcc: number;
  testAcc: number;
  /** Test accuracy without test-time augmentation (the same as testAcc when --no-tta). */
  testAccPlain: number;
  courseTestAcc: number;
  courseTest: number;
  /** confusion[i][j]: test images of class i predicted as j (with test-time augmentation when on). */
  confusion: number[][];
  evalSeconds: number;
}

/**
 * Accuracy on the validation set, the whole test set and the course's first 1,000 test images, with test-time
 * augmentation unless --no-tta (and on the test set also without it), and the test set's confusion matrix.
 */
function evaluate(ctx: ScriptContext, opts: Options, m: TrainModel, data: TrainData): Evaluation {
  const evalStarted = Date.now();
  const scored = opts.tta ? withFlipAveraging(m) : m;
  const batch = 200;
  const valAcc = accuracy(modelPredictions(scored, data.XVal, batch), data.yVal.dataSync());
  const labels = data.yTest.dataSync();
  const pred = modelPredictions(scored, data.XTest, batch);
  const testAcc = accuracy(pred, labels);
  const testAccPlain = opts.tta ? accuracy(modelPredictions(m, data.XTest, batch), labels) : testAcc;
  const courseTest = Math.min(COURSE_TEST, data.XTest.shape[0]);
  const courseTestAcc = accuracy(pred.subarray(0, courseTest), labels.subarray(0, courseTest));
  const K = m.options.numClasses;
  const confusion = Array.from({ length: K }, () => new Array<number>(K).fill(0));
  for (let i = 0; i < pred.length; i++) confusion[labels[i]][pred[i]]++;
  const evalSeconds = (Date.now() - evalStarted) / 1000;
  ctx.log(
    `test accuracy ${testAcc.toFixed(4)} on ${data.XTest.shape[0]} images${opts.tta ? ` with test-time augmentation (${testAccPlain.toFixed(4)} without)` : ''}, ` +
      `${courseTestAcc.toFixed(4)} on the course's first ${courseTest}; evaluation ${evalSeconds.toFixed(0)} s`,
  );
  return { valAcc, testAcc, testAccPlain, courseTestAcc, courseTest, confusion, evalSeconds };
}

/** loss.png, accuracy.png, lr.png, confusion.png and filters.png in the output folder. */
async function drawFigures(outDir: string, s: Solver, m: TrainModel, ev: Evaluation, tta: boolean): Promise<void> {
  const iterations = s.lossHistory.map((_, i) => i + 1);
  await lineChart(path.join(outDir, 'loss.png'), {
    title: 'Training loss',
    xLabel: 'iteration',
    yLabel: 'loss',
    series: [
      { name: 'minibatch', x: iterations, y: s.lossHistory, mark: 'points' },
      { name: 'mean of 100', x: iterations, y: movingAverage(s.lossHistory, 100) },
    ],
  });
  const checks = s.valAccHistory.map((_, i) => i);
  await lineChart(path.join(outDir, 'accuracy.png'), {
    title: 'Accuracy per epoch (train: 1,000 training images)',
    xLabel: 'epoch',
    yLabel: 'accuracy',
    series: [
      { name: 'train', x: checks, y: s.trainAccHistory, mark: 'line+points' },
      { name: 'val', x: checks, y: s.valAccHistory, mark: 'line+points' },
    ],
  });
  const schedule = s.lrSchedule;
  if (schedule) {
    const steps = Array.from({ length: s.numIterations }, (_, i) => i / s.iterationsPerEpoch);
    await lineChart(path.join(outDir, 'lr.png'), {
      title: `Learning rate (${schedule.kind === 'one-cycle' ? 'one-cycle' : 'step decay'}), by step`,
      xLabel: 'epoch',
      yLabel: 'learning rate',
      series: [{ name: 'learning rate', x: steps, y: steps.map((e) => learningRateAt(schedule, e)) }],
    });
  }
  const tested = ev.confusion.reduce((sum, row) => sum + row.reduce((a, b) => a + b, 0), 0);
  await confusionMatrixChart(path.join(outDir, 'confusion.png'), {
    counts: ev.confusion,
    classNames: m.options.numClasses === CLASS_NAMES.length ? CLASS_NAMES : ev.confusion.map((_, i) => String(i)),
    title: `Test set confusion matrix (${tested.toLocaleString('en-US')} images${tta ? ', flip-averaged' : ''}): accuracy ${ev.testAcc.toFixed(4)}`,
  });
  await drawFilters(path.join(outDir, 'filters.png'), m);
}

/** metrics.json and the summary table. */
function report(
  ctx: ScriptContext,
  opts: Options,
  run: { record: TrainRunRecord; resumedFromEpoch: number | null; started: number },
  m: TrainModel,
  s: Solver,
  data: TrainData,
  times: TrainingTimes,
  final: { bestEpoch: number; recalibrated: boolean },
  ev: Evaluation,
): void {
  const numParams = Object.values(m.params).reduce((sum, p) => sum + p.size, 0);
  const architecture = describeSpec(m.kind, m.options);
  const seconds = (Date.now() - run.started) / 1000;
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
  writeMetrics(ctx.outDir, {
    ...ctx.runInfo(),
    run_id: run.record.id,
    test_acc: ev.testAcc,
    test_acc_without_tta: ev.testAccPlain,
    test_acc_course_1000: ev.courseTestAcc,
    val_acc: ev.valAcc,
    best_val_acc: s.bestValAcc,
    best_epoch: final.bestEpoch,
    epochs: s.epoch,
    seconds,
    train_seconds: times.trainSeconds,
    eval_seconds: ev.evalSeconds,
    epoch_seconds: times.epochSeconds,
    iterations: s.iteration,
    seconds_per_iteration: mean(times.iterationSeconds),
    val_checks: times.valChecks,
    stopped_by: times.stoppedBy,
    resumed_from_epoch: run.resumedFromEpoch,
    batchnorm_recalibrated: final.recalibrated,
    val_acc_history: s.valAccHistory,
    train_acc_history: s.trainAccHistory,
    confusion_matrix: ev.confusion,
    loss_history: s.lossHistory,
    data: { train: data.XTrain.shape[0], val: data.XVal.shape[0], test: data.XTest.shape[0], official: data.official },
    config: {
      model: m.kind,
      architecture,
      options: m.options,
      params: numParams,
      update_rule: s.updateRuleName,
      lr_schedule: s.lrSchedule,
      learning_rate_final: s.learningRate,
      batch_size: s.batchSize,
      epochs_planned: s.numEpochs,
      augment: opts.augment,
      tta: opts.tta,
      time_budget_minutes: opts.timeBudget,
    },
  });
  printSummary(`Train your best model: ${m.kind} on CIFAR-10`, {
    architecture,
    parameters: numParams,
    epochs: `${s.epoch} of ${s.numEpochs}${times.stoppedBy === 'time budget' ? ' (time budget)' : ''}`,
    'best val acc (epoch)': `${s.bestValAcc.toFixed(4)} (${Number(final.bestEpoch.toFixed(2))})`,
    'val acc': ev.valAcc,
    [`test acc (${data.XTest.shape[0]} images${opts.tta ? ', flip-averaged' : ''})`]: ev.testAcc,
    ...(opts.tta ? { 'test acc without TTA': ev.testAccPlain } : {}),
    [`test acc (course's ${ev.courseTest})`]: ev.courseTestAcc,
    'minutes per epoch (mean)': times.epochSeconds.length ? (mean(times.epochSeconds) as number) / 60 : null,
    'total minutes': seconds / 60,
    backend: ctx.backend,
  });
}

async function main(): Promise<void> {
  const { opts, explicit } = parseOptions();
  const started = Date.now();
  const ctx = await startScript('train', opts);
  const checkpointDir = prepareCheckpointDir(path.join(ctx.outDir, 'checkpoints'));
  let resumeFrom = prepareCheckpoints(ctx, opts, explicit, checkpointDir);
  let data: TrainData | null = null;
  let model: TrainModel | null = null;
  let solver: Solver | null = null;
  try {
    data = await loadData(ctx);
    if (resumeFrom) checkSameData(resumeFrom, data);
    const planned = !resumeFrom && !ctx.quick && opts.epochs === undefined && opts.model === 'resnet' ? planEpochs(ctx, opts, data, started) : null;
    const built = buildModelAndSolver(ctx, opts, data, checkpointDir, resumeFrom, planned);
    const resumedFromEpoch = resumeFrom ? resumeFrom.epoch : null;
    if (resumeFrom) disposeCheckpoint(resumeFrom);
    resumeFrom = null;
    model = built.model;
    solver = built.solver;
    const m = model;
    const s = solver;
    const numParams = Object.values(m.params).reduce((sum, p) => sum + p.size, 0);
    ctx.log(
      `${describeSpec(m.kind, m.options)}, ${numParams} parameters; ${s.updateRuleName}, ${describeSchedule(s.lrSchedule)}, batch ${s.batchSize}, ` +
        `${s.numEpochs} epochs of ${s.iterationsPerEpoch} iterations, augmentation ${opts.augment ? 'flip + crop (pad 4)' : 'off'}, ` +
        `test-time augmentation ${opts.tta ? 'flip averaging' : 'off'}`,
    );
    const times = trainWithinBudget(ctx, opts, s, data, started);
    const final = chooseFinalParams(ctx, opts, m, s, data, times.stoppedBy);
    const ev = evaluate(ctx, opts, m, data);
    await drawFigures(ctx.outDir, s, m, ev, opts.tta);
    report(ctx, opts, { record: built.run, resumedFromEpoch, started }, m, s, data, times, final, ev);
  } finally {
    if (resumeFrom) disposeCheckpoint(resumeFrom);
    solver?.dispose();
    model?.dispose();
    if (data) tf.dispose([data.XTrain, data.yTrain, data.XVal, data.yVal, data.XTest, data.yTest]);
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
