/**
 * `npm run train`'s flags: each model's recipe (the defaults that differ between the ResNet and the ConvNet), the
 * parsers of the flags that take lists or names, and the checks that need several flags at once.
 */
import { Command, InvalidArgumentError } from 'commander';
import { CommonOptions, createCommand, parseNonNegativeNumber, parseNumberIn, parsePositiveInt, parsePositiveNumber } from './cli';
import { ConvBlock, DEFAULT_BLOCKS } from '../../src/classifiers/convnet';
import { UPDATE_RULE_NAMES, UpdateRuleName } from '../../src/optim';

export type ModelChoice = 'resnet' | 'convnet';
export type ScheduleChoice = 'one-cycle' | 'step';

export interface TrainOptions extends CommonOptions {
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
export const DEFAULT_EPOCHS = 10;
/** Minutes: two hours, less a margin for loading, the evaluation and the figures. */
export const DEFAULT_TIME_BUDGET = 115;
export const QUICK = { trainImages: 640, valImages: 200, epochs: 2 };

/**
 * Each model's recipe, the defaults of the flags that differ. ResNet: SGD with momentum on a one-cycle schedule,
 * weight decay 5e-4 and label smoothing 0.2, as Page's ResNet-9 (peak rate scaled to the batch); ConvNet: Adam with
 * a per-epoch decay.
 */
const RECIPES: Record<ModelChoice, { batchSize: number; updateRule: UpdateRuleName; lr: number; schedule: ScheduleChoice; reg: number; labelSmoothing: number }> = {
  resnet: { batchSize: 256, updateRule: 'sgd_momentum', lr: 0.2, schedule: 'one-cycle', reg: 5e-4, labelSmoothing: 0.2 },
  convnet: { batchSize: 64, updateRule: 'adam', lr: 1e-3, schedule: 'step', reg: 1e-4, labelSmoothing: 0 },
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
  if (!(opts.warmup >= 0 && opts.warmup < 1)) program.error(`error: --warmup must be in [0, 1), got ${opts.warmup}`);
  if (!(opts.labelSmoothing >= 0 && opts.labelSmoothing < 1)) program.error(`error: --label-smoothing must be in [0, 1), got ${opts.labelSmoothing}`);
  if (opts.model === 'convnet' && opts.labelSmoothing !== 0) program.error('error: --label-smoothing is a resnet option (the ConvNet uses the plain softmax loss)');
  if (!(opts.timeBudget > 0)) program.error(`error: --time-budget must be a positive number of minutes, got ${opts.timeBudget}`);
  if (!(opts.lr > 0)) program.error(`error: --lr must be positive, got ${opts.lr}`);
  if (!(opts.lrDecay > 0 && opts.lrDecay <= 1)) program.error(`error: --lr-decay must be in (0, 1], got ${opts.lrDecay}`);
  if (!(opts.reg >= 0)) program.error(`error: --reg must be >= 0, got ${opts.reg}`);
  if (opts.resume && opts.restart) program.error('error: --resume continues the run in the output folder and --restart deletes it; pass one');
  // A flag of the other model would be silently ignored: refused, naming it.
  const given = (name: string) => program.getOptionValueSource(name) === 'cli';
  const otherModel = opts.model === 'convnet' ? [['width', '--width'], ['residual', '--no-residual']] : [['blocks', '--blocks'], ['hidden', '--hidden']];
  for (const [name, flag] of otherModel) {
    if (given(name)) program.error(`error: ${flag} is a ${opts.model === 'convnet' ? 'resnet' : 'convnet'} option; this run trains --model ${opts.model}, which has no use for it`);
  }
  return { opts, explicit: (name) => program.getOptionValueSource(name) === 'cli' };
}
