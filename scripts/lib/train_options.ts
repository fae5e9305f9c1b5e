/**
 * `npm run train`'s flags: each model's recipe (the defaults that differ between the ResNet and the ConvNet), the
 * parsers of the flags that take lists or names, and the checks that need several flags at once.
 */
import { Command, InvalidArgumentError } from 'commander';
import { CommonOptions, createCommand, parseNonNegativeNumber, parseNumberIn, parsePositiveInt, parsePositiveNumber } from './cli';
import { ConvBlock, DEFAULT_BLOCKS } from '../../src/classifiers/convnet';
import { ALL_RULE_NAMES, AnyRuleName } from '../../src/optim';

export type ModelChoice = 'airbench' | 'resnet' | 'convnet';
export type ScheduleChoice = 'one-cycle' | 'step';

export interface TrainOptions extends CommonOptions {
  model: ModelChoice;
  epochs?: number;
  timeBudget: number;
  batchSize: number;
  updateRule: AnyRuleName;
  lr: number;
  schedule: ScheduleChoice;
  warmup: number;
  lrDecay: number;
  reg: number;
  width: number;
  /** airbench: the three groups' channels; undefined: planned to fit the time budget. */
  widths?: [number, number, number];
  residual: boolean;
  labelSmoothing: number;
  blocks: ConvBlock[];
  hidden: number[];
  augment: boolean;
  tta: boolean;
  /** airbench: test-time augmentation also over 1-pixel shifts (six views); undefined: on when the budget is >= TTA_SHIFTS_MIN_BUDGET. */
  ttaShifts?: boolean;
  /** airbench: first-layer filters from the patches' eigenvectors; false: the plain patch basis (an ablation). */
  whitening: boolean;
  /** airbench: each image flipped on alternate epochs; false: a fresh coin per image per epoch (an ablation). */
  alternatingFlip: boolean;
  resume: boolean;
  restart: boolean;
  valEvery?: number;
}

/** airbench: test-time augmentation over shifts too (3x the evaluation's cost) from this budget (minutes) up. */
export const TTA_SHIFTS_MIN_BUDGET = 60;

/** The ConvNet's epochs; the ResNet's and airbench's are planned to fill the time budget (planEpochs). */
export const DEFAULT_EPOCHS = 10;
/** Minutes: two hours, less a margin for loading, the evaluation and the figures. */
export const DEFAULT_TIME_BUDGET = 115;
export const QUICK = { trainImages: 640, valImages: 200, epochs: 2 };

/**
 * airbench's rates, per 1024 examples (a run with batch B uses B / 1024 of them), for a loss that is the batch's
 * mean: the peak learning rate of sgd_nesterov and its decoupled weight decay. airbench states lr 11.5 and weight
 * decay 0.0153 for a summed loss and PyTorch's coupled decay; docs/best-model.md converts them: 11.5 / (1 + 1 /
 * (1 - 0.85)) = 1.5, and a decay per step of 0.0153 / (1 - 0.85) / (1 + 1 / (1 - 0.85)) = 0.0133 at that rate,
 * i.e. weightDecay 0.0133 / 1.5 = 0.00887.
 */
export const AIRBENCH = {
  lrPer1024: 1.5,
  weightDecay: 0.00887,
  momentum: 0.85,
  /** Batchnorm biases' learning rate is this times the rest's (not their decay). */
  biasScale: 64,
  /** The whitening bias trains for this many epochs, then is frozen. */
  whitenBiasEpochs: 3,
  /** The one-cycle schedule: from startFraction of the peak, up over warmup of the run, down to endFraction. */
  warmup: 0.23,
  startFraction: 0.2,
  endFraction: 0.07,
  lookaheadEvery: 5,
  /** Translation of the training images, pixels each way. */
  translate: 2,
  /** Training images the whitening filters are computed from. */
  whiteningImages: 5000,
};

/**
 * Each model's recipe, the defaults of the flags that differ. airbench: Nesterov SGD with lookahead on a warm-up
 * then linear-decay schedule (rates per 1024 examples, see AIRBENCH), decoupled weight decay, label smoothing 0.2;
 * ResNet: SGD with momentum on a one-cycle schedule, weight decay 5e-4 and label smoothing 0.2, as Page's ResNet-9
 * (peak rate scaled to the batch); ConvNet: Adam with a per-epoch decay.
 */
const RECIPES: Record<ModelChoice, { batchSize: number; updateRule: AnyRuleName; lr: number; schedule: ScheduleChoice; reg: number; labelSmoothing: number; warmup: number }> = {
  airbench: { batchSize: 256, updateRule: 'sgd_nesterov_lookahead', lr: AIRBENCH.lrPer1024, schedule: 'one-cycle', reg: AIRBENCH.weightDecay, labelSmoothing: 0.2, warmup: AIRBENCH.warmup },
  resnet: { batchSize: 256, updateRule: 'sgd_momentum', lr: 0.2, schedule: 'one-cycle', reg: 5e-4, labelSmoothing: 0.2, warmup: 0.2 },
  convnet: { batchSize: 64, updateRule: 'adam', lr: 1e-3, schedule: 'step', reg: 1e-4, labelSmoothing: 0, warmup: 0.2 },
};

/** "32,32p,64,64p,128p" or "32-32p-64-64p-128p": filters per conv block, p for a 2x2 max pool after it. */
function parseBlocks(value: string): ConvBlock[] {
  return value
    .split(/[,-]/)
    .map((s) => s.trim())
    .map((s) => {
      const m = /^(\d+)(p?)$/.exec(s);
      if (!m || Number(m[1]) <= 0) {
        throw new InvalidArgumentError(`--blocks takes filters per block with p for a pool, e.g. 32,32p,64,64p; got '${value}' (bad part '${s}')`);
      }
      return m[2] ? { filters: Number(m[1]), pool: true } : { filters: Number(m[1]) };
    });
}

/** "256" or "256,128" (or "" for none): the hidden affine layers of the head. */
function parseHidden(value: string): number[] {
  if (value.trim() === '' || value.trim() === 'none') return [];
  return value.split(',').map((s) => {
    const n = Number(s);
    if (!/^\s*\d+\s*$/.test(s) || !Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`--hidden takes positive integers separated by commas (or 'none'), got '${value}'`);
    return n;
  });
}

function parseModel(value: string): ModelChoice {
  if (value === 'airbench' || value === 'resnet' || value === 'convnet') return value;
  throw new InvalidArgumentError(`--model must be airbench, resnet or convnet, got '${value}'`);
}

/** "64,128,128": airbench's three group widths. */
function parseWidths(value: string): [number, number, number] {
  const parts = value.split(',').map((s) => Number(s.trim()));
  if (parts.length !== 3 || !parts.every((n) => Number.isInteger(n) && n > 0 && n <= 512)) {
    throw new InvalidArgumentError(`--widths takes three integers from 1 to 512 separated by commas, e.g. 64,128,128; got '${value}'`);
  }
  return parts as [number, number, number];
}

function parseSchedule(value: string): ScheduleChoice {
  if (value === 'one-cycle' || value === 'step') return value;
  throw new InvalidArgumentError(`--schedule must be one-cycle or step, got '${value}'`);
}

function parseUpdateRule(value: string): AnyRuleName {
  if ((ALL_RULE_NAMES as readonly string[]).includes(value)) return value as AnyRuleName;
  throw new InvalidArgumentError(`--update-rule must be one of ${ALL_RULE_NAMES.join(', ')}, got '${value}'`);
}

function buildCommand(): Command {
  return createCommand('train', "train the best net we can on CIFAR-10: airbench's recipe, augmentation, checkpoints, test evaluation")
    .option('--model <name>', 'airbench (the default) | resnet (the residual net) | convnet (the plain ConvNet of --blocks)', parseModel, 'airbench' as ModelChoice)
    .option(
      '--epochs <n>',
      `epochs to train (default: airbench and resnet, as many as fit in --time-budget; convnet ${DEFAULT_EPOCHS}; ${QUICK.epochs} with --quick; with --resume, the checkpoint's)`,
      parsePositiveInt('--epochs'),
    )
    .option('--time-budget <minutes>', 'stop at the last epoch boundary that keeps the whole run within this many minutes', parsePositiveNumber('--time-budget'), DEFAULT_TIME_BUDGET)
    .option('--batch-size <n>', 'minibatch size (default airbench 256, resnet 256, convnet 64)', parsePositiveInt('--batch-size'))
    .option('--update-rule <name>', `${ALL_RULE_NAMES.join(' | ')} (default airbench sgd_nesterov_lookahead, resnet sgd_momentum, convnet adam)`, parseUpdateRule)
    .option(
      '--lr <x>',
      'learning rate: the peak of a one-cycle schedule, the start of a step schedule (default airbench 1.5 per 1024 examples, resnet 0.2, convnet 1e-3)',
      parsePositiveNumber('--lr'),
    )
    .option('--schedule <name>', 'one-cycle (warm-up, then a linear decay to 0) | step (times --lr-decay every epoch); default resnet one-cycle, convnet step', parseSchedule)
    .option('--warmup <fraction>', 'one-cycle: the fraction of the epochs spent rising to the peak (default airbench 0.23, others 0.2)', parseNumberIn('--warmup', 0, 1, 'max'))
    .option('--lr-decay <x>', 'step schedule: learning rate multiplied by this after every epoch', parseNumberIn('--lr-decay', 0, 1, 'min'), 0.8)
    .option('--reg <x>', 'weight decay: airbench decoupled, per step x the learning rate (default 0.00887); resnet 5e-4 and convnet 1e-4 as L2', parseNonNegativeNumber('--reg'))
    .option('--width <n>', 'resnet: channels of the first layer (the others 2, 4 and 8 times as many)', parsePositiveInt('--width'), 16)
    .option('--widths <list>', 'airbench: channels of the three conv groups, e.g. 64,128,128 (default: planned to fit --time-budget)', parseWidths)
    .option('--no-residual', 'resnet: drop the skip connections (the same layers as a plain net)')
    .option('--label-smoothing <eps>', 'softmax loss label smoothing in [0, 1) (default airbench and resnet 0.2; not for convnet)', parseNumberIn('--label-smoothing', 0, 1, 'max'))
    .option('--no-tta', 'evaluate without test-time augmentation (averaging the scores of each test image and its mirror)')
    .option('--tta-shifts', `airbench: test-time augmentation also over 1-pixel shifts (6 views; default on from a ${TTA_SHIFTS_MIN_BUDGET}-minute budget)`)
    .option('--no-tta-shifts', 'airbench: test-time augmentation over flips only')
    .option('--no-whitening', "airbench (ablation): the first layer's filters stay the plain 2x2 patch basis instead of whitening")
    .option('--no-alternating-flip', 'airbench (ablation): a fresh random flip per image per epoch instead of alternating flips')
    .option('--blocks <list>', 'conv blocks: filters each, p for a 2x2 max pool after', parseBlocks, DEFAULT_BLOCKS.map((b) => ({ ...b })))
    .option('--hidden <dims>', "hidden affine layers of the head, e.g. 256 or 256,128 ('none' for none)", parseHidden, [] as number[])
    .option('--no-augment', 'no random flips and crops')
    .option('--resume', 'continue the run whose checkpoints are in the output folder (same --quick, --seed and data)', false)
    .option('--restart', 'delete the checkpoints already in the output folder and start a new run', false)
    .option('--val-every <n>', 'also check validation accuracy every n iterations (progress within long epochs)', parsePositiveInt('--val-every'));
}


/** Flags only one model uses: the option name, the flag as typed, and that model. */
const MODEL_FLAGS: readonly [string, string, ModelChoice][] = [
  ['widths', '--widths', 'airbench'],
  ['ttaShifts', '--tta-shifts', 'airbench'],
  ['whitening', '--no-whitening', 'airbench'],
  ['alternatingFlip', '--no-alternating-flip', 'airbench'],
  ['width', '--width', 'resnet'],
  ['residual', '--no-residual', 'resnet'],
  ['blocks', '--blocks', 'convnet'],
  ['hidden', '--hidden', 'convnet'],
];

/** Parses and checks the flags. explicit(name): whether the user gave that flag (not its default). */
export function parseTrainOptions(): { opts: TrainOptions; explicit: (name: string) => boolean } {
  const program = buildCommand();
  program.parse();
  const opts = program.opts<TrainOptions>();
  // Flags left out take the chosen model's recipe.
  const recipe = RECIPES[opts.model];
  opts.batchSize ??= recipe.batchSize;
  opts.updateRule ??= recipe.updateRule;
  opts.lr ??= recipe.lr;
  opts.schedule ??= recipe.schedule;
  opts.reg ??= recipe.reg;
  opts.labelSmoothing ??= recipe.labelSmoothing;
  opts.warmup ??= recipe.warmup;
  if (!(opts.warmup >= 0 && opts.warmup < 1)) program.error(`error: --warmup must be in [0, 1), got ${opts.warmup}`);
  if (!(opts.labelSmoothing >= 0 && opts.labelSmoothing < 1)) program.error(`error: --label-smoothing must be in [0, 1), got ${opts.labelSmoothing}`);
  if (opts.model === 'convnet' && opts.labelSmoothing !== 0) program.error('error: --label-smoothing is an airbench and resnet option (the ConvNet uses the plain softmax loss)');
  if (!(opts.timeBudget > 0)) program.error(`error: --time-budget must be a positive number of minutes, got ${opts.timeBudget}`);
  if (!(opts.lr > 0)) program.error(`error: --lr must be positive, got ${opts.lr}`);
  if (!(opts.lrDecay > 0 && opts.lrDecay <= 1)) program.error(`error: --lr-decay must be in (0, 1], got ${opts.lrDecay}`);
  if (!(opts.reg >= 0)) program.error(`error: --reg must be >= 0, got ${opts.reg}`);
  if (opts.resume && opts.restart) program.error('error: --resume continues the run in the output folder and --restart deletes it; pass one');
  // A flag of another model would be silently ignored: refused, naming it. With --resume and no --model, the model
  // is the checkpoint's, and runDifferences compares each flag with what that run trained.
  const given = (name: string) => program.getOptionValueSource(name) === 'cli';
  if (!(opts.resume && !given('model'))) {
    for (const [name, flag, owner] of MODEL_FLAGS) {
      if (given(name) && owner !== opts.model) program.error(`error: ${flag} is ${/^[aeiou]/.test(owner) ? 'an' : 'a'} ${owner} option; this run trains --model ${opts.model}, which has no use for it`);
    }
  }
  return { opts, explicit: (name) => program.getOptionValueSource(name) === 'cli' };
}
