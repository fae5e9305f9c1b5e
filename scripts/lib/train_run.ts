/**
 * What a `npm run train` run is: its models (ResNet or ConvNet, from the flags or from a checkpoint's spec), its
 * learning-rate schedule, the record its checkpoints keep, and which flags a resume must agree with.
 */
import type { Checkpoint, RunRecord } from '../../runtime/checkpoint';
import type { LrSchedule } from '../../runtime/schedule';
import { ConvNet, ConvNetOptions, DEFAULT_BLOCKS, describeBlocks } from '../../src/classifiers/convnet';
import { ResNet, ResNetOptions } from '../../src/classifiers/resnet';
import { Airbench, AirbenchOptions } from '../../src/classifiers/airbench';
import { AIRBENCH, TrainOptions } from './train_options';
import type { ScriptContext } from './cli';

export type TrainModel = Airbench | ConvNet | ResNet;

/** What a train run's checkpoints record about it (see RunRecord): what a resume must agree with. */
export interface TrainRunRecord extends RunRecord {
  script: 'train';
  quick: boolean;
  seed: number;
  augment: boolean;
  /** Evaluation with test-time augmentation (flip averaging). */
  tta?: boolean;
  /** airbench: whitening filters (false: --no-whitening) and alternating flips (false: --no-alternating-flip); absent: on. */
  whitening?: boolean;
  alternatingFlip?: boolean;
  /** Images in each split this run trains, validates and tests on, and their digest (dataDigest). */
  data: { train: number; val: number; test: number; digest?: string };
}

/** "ResNet-9 width 16" or "ConvNet 32-32p-64-64p-128p + fc 256": a model kind and its options in a few words. */
export function describeSpec(kind: string, options: unknown): string {
  if (kind === 'Airbench') {
    const o = options as AirbenchOptions;
    return `airbench net, widths ${(o.widths ?? [64, 128, 128]).join('/')}`;
  }
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

/** "run 2026...-3fa2c1 (ConvNet 8p-16p, quick, seed 1), up to epoch 2": a saved manifest's run in words. */
export function describeSavedRun(m: { run?: RunRecord | null; model?: { kind: string; options?: unknown } | null; epoch?: number }): string {
  const run = m.run as Partial<TrainRunRecord> | null | undefined;
  const arch = m.model ? describeSpec(m.model.kind, m.model.options) : 'a model';
  const how = run ? `run ${run.id} (${arch}${run.quick ? ', quick' : ''}, seed ${run.seed})` : `a run of unknown settings (${arch})`;
  return `${how}, up to epoch ${m.epoch}`;
}

/** A model rebuilt from its checkpointed kind and options. */
export function modelFromSpec(kind: string, options: unknown): TrainModel {
  if (kind === 'Airbench') return new Airbench(options as AirbenchOptions);
  if (kind === 'ResNet') return new ResNet(options as ResNetOptions);
  return new ConvNet(options as ConvNetOptions);
}

/** The model of a fresh run, from the flags. */
export function newModel(ctx: ScriptContext, opts: TrainOptions): TrainModel {
  const seed = ctx.rng.nextUint32();
  if (opts.model === 'airbench') return new Airbench({ widths: opts.widths, labelSmoothing: opts.labelSmoothing, seed });
  if (opts.model === 'resnet') {
    return new ResNet({ width: opts.width, residual: opts.residual, labelSmoothing: opts.labelSmoothing, reg: opts.reg, seed });
  }
  return new ConvNet({ blocks: opts.blocks, hiddenDims: opts.hidden, reg: opts.reg, seed });
}

/** The learning-rate schedule of a fresh run of `epochs` epochs. */
export function newSchedule(opts: TrainOptions, epochs: number): LrSchedule {
  if (opts.schedule === 'step') return { kind: 'step-decay', start: opts.lr, decay: opts.lrDecay };
  if (opts.model === 'airbench') {
    // Rates per 1024 examples, scaled to the batch; airbench's warm-up from 0.2 of the peak, decay to 0.07 of it.
    const peak = (opts.lr * opts.batchSize) / 1024;
    return { kind: 'one-cycle', start: AIRBENCH.startFraction * peak, peak, end: AIRBENCH.endFraction * peak, warmupEpochs: opts.warmup * epochs, totalEpochs: epochs };
  }
  return { kind: 'one-cycle', start: 0, peak: opts.lr, end: 0, warmupEpochs: opts.warmup * epochs, totalEpochs: epochs };
}

export function describeSchedule(s: LrSchedule | null): string {
  if (s === null) return 'constant learning rate';
  if (s.kind === 'step-decay') return `learning rate ${s.start} times ${s.decay} every epoch`;
  const rate = (x: number) => Number(x.toPrecision(6));
  return `one-cycle learning rate ${rate(s.start)} -> ${rate(s.peak)} (epoch ${Number(s.warmupEpochs.toFixed(2))}) -> ${rate(s.end)} (epoch ${s.totalEpochs})`;
}

/** Whether a checkpoint holds a model this script trains. */
export function isTrainCheckpoint(c: Checkpoint): boolean {
  return c.model?.kind === 'ConvNet' || c.model?.kind === 'ResNet' || c.model?.kind === 'Airbench';
}

/**
 * Every way this command contradicts the checkpoint's run, one line each: another --quick, --seed or
 * augmentation, or a flag given that contradicts what the checkpoint trained (architecture, regularisation,
 * batch size, update rule, schedule). Empty when the command continues the run.
 */
export function runDifferences(c: Checkpoint, run: TrainRunRecord, ctx: ScriptContext, opts: TrainOptions, explicit: (name: string) => boolean): string[] {
  const diffs: string[] = [];
  if (run.quick !== ctx.quick) diffs.push(run.quick ? 'it was a --quick run: add --quick' : 'it was not a --quick run: drop --quick');
  if (run.seed !== ctx.seed) diffs.push(`it used --seed ${run.seed}, this command --seed ${ctx.seed}`);
  if (run.augment !== opts.augment) diffs.push(run.augment ? 'it trained with augmentation: drop --no-augment' : 'it trained without augmentation: add --no-augment');
  for (const [key, flag] of [
    ['whitening', '--no-whitening'],
    ['alternatingFlip', '--no-alternating-flip'],
  ] as const) {
    const theirs = run[key] ?? true;
    if (theirs !== opts[key]) diffs.push(theirs ? `it trained without ${flag}: drop ${flag}` : `it trained with ${flag}: add ${flag}`);
  }
  const differs = (flag: string, name: string, theirs: string, ours: string) => {
    if (explicit(name) && theirs !== ours) diffs.push(`it trained ${flag} ${theirs}, this command asks for ${flag} ${ours}`);
  };
  const spec = c.model as { kind: string; options?: unknown };
  differs('--model', 'model', spec.kind === 'Airbench' ? 'airbench' : spec.kind === 'ResNet' ? 'resnet' : 'convnet', opts.model);
  if (spec.kind === 'Airbench') {
    const saved = spec.options as AirbenchOptions;
    differs('--widths', 'widths', String(saved.widths), String(opts.widths));
    differs('--label-smoothing', 'labelSmoothing', String(saved.labelSmoothing), String(opts.labelSmoothing));
  } else if (spec.kind === 'ResNet') {
    const saved = spec.options as ResNetOptions;
    differs('--width', 'width', String(saved.width), String(opts.width));
    differs('--residual', 'residual', String(saved.residual), String(opts.residual));
    differs('--label-smoothing', 'labelSmoothing', String(saved.labelSmoothing), String(opts.labelSmoothing));
    differs('--reg', 'reg', String(saved.reg), String(opts.reg));
  } else {
    const saved = spec.options as ConvNetOptions;
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
  return diffs;
}
