/**
 * `npm run train`'s clock: how many epochs fit in the time budget (planEpochs, for the one-cycle schedule to end
 * when the budget does), the training loop that stops within it (trainWithinBudget), and which parameters to
 * evaluate after (chooseFinalParams).
 */
import * as tf from '@tensorflow/tfjs-core';
import { ResNet } from '../../src/classifiers/resnet';
import { Airbench } from '../../src/classifiers/airbench';
import { augmentBatch } from '../../src/data/augment';
import type { Solver, SolverData } from '../../src/solver';
import type { ScriptContext } from './cli';
import { TTA_SHIFTS_MIN_BUDGET, TrainOptions } from './train_options';
import type { Model } from '../../src/model';
import type { LrSchedule } from '../../runtime/schedule';
import { lookaheadWeights } from '../../src/optim';

/** The data a train run uses: the Solver's training and validation sets and the test set. */
export interface TrainData extends SolverData {
  XTest: tf.Tensor4D;
  yTest: tf.Tensor1D;
  official: boolean;
  /** runtime/resume.ts's dataDigest of the images and labels loaded: what --resume compares. */
  digest?: string;
}

/**
 * planEpochs' timing: steps discarded, then steps timed. The first steps of a fresh process run slower while wasm
 * grows its memory, so a short warm-up planned for too slow a step (docs/performance.md, "npm run train").
 */
const PLAN_WARMUP_STEPS = 4;
const PLAN_TIMED_STEPS = 5;
/**
 * Time an epoch takes beyond its steps as timed by planEpochs: the accuracy checks, the checkpoint and a machine
 * that slows down (8 to 17% in the default run's epochs; docs/performance.md).
 */
const PLAN_MARGIN = 0.15;

/**
 * Forward passes over one test image per evaluation, in the units of a training step's image: each view is a test-mode
 * forward pass (about half a training step's time per image: the default airbench run's 76,000 passes took 367 s
 * beside 2.6 s per step of 256, 0.47), the validation set and the test set with the chosen test-time augmentation,
 * the test set once more without it and, with shifts, once more with flips alone.
 */
export function evaluationImages(opts: Pick<TrainOptions, 'tta' | 'ttaShifts' | 'model'>, data: PlanData): number {
  const shifts = opts.tta && opts.model === 'airbench' && opts.ttaShifts;
  const views = !opts.tta ? 1 : shifts ? 6 : 2;
  // With test-time augmentation the test set once more without it, and with shifts once more with flips alone.
  const again = (opts.tta ? 1 : 0) + (shifts ? 2 : 0);
  return ((data.XVal.shape[0] + data.XTest.shape[0]) * views + data.XTest.shape[0] * again) / 2;
}

/**
 * Seconds per training step of `probe` (a throwaway model of the run's shape) on real minibatches: the median of
 * PLAN_TIMED_STEPS after PLAN_WARMUP_STEPS. Disposes the probe.
 */
function timeSteps(ctx: ScriptContext, opts: TrainOptions, data: TrainData, probe: Model & { dispose(): void }): number {
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
  return [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)];
}

/** The sizes a plan depends on: the three sets' lengths (the tensors themselves are not read). */
export type PlanData = { [K in 'XTrain' | 'XVal' | 'XTest']: { shape: readonly number[] } };

/** A plan's numbers: epochs that fit, seconds per epoch with the margin, and the evaluation's estimated seconds. */
export interface EpochPlan {
  epochs: number;
  epochSeconds: number;
  evalSeconds: number;
}

/**
 * Epochs that fit in what is left of the budget (secondsLeft) at perStep seconds per step, after the evaluation;
 * at least 1.
 */
export function epochsThatFit(opts: Pick<TrainOptions, 'batchSize' | 'tta' | 'ttaShifts' | 'model'>, data: PlanData, secondsLeft: number, perStep: number): EpochPlan {
  const batch = Math.min(opts.batchSize, data.XTrain.shape[0]);
  const stepsPerEpoch = Math.max(Math.floor(data.XTrain.shape[0] / opts.batchSize), 1);
  const evalSeconds = (perStep / batch) * evaluationImages(opts, data) + 30;
  const epochSeconds = perStep * stepsPerEpoch * (1 + PLAN_MARGIN);
  return { epochs: Math.max(1, Math.floor((secondsLeft - evalSeconds) / epochSeconds)), epochSeconds, evalSeconds };
}

/** Seconds of the budget left at this moment, for a script that started at `started` (ms). */
function secondsLeft(opts: TrainOptions, started: number): number {
  return opts.timeBudget * 60 - (Date.now() - started) / 1000;
}

/**
 * Epochs of a fresh ResNet run without --epochs: as many as fit in the time budget, so that the one-cycle schedule
 * ends (its learning rate reaches 0) when the budget does. Times training steps of a throwaway model of the same
 * shape (timeSteps), adds PLAN_MARGIN for the Solver's own work and a machine that slows down, and sets the
 * evaluation's time aside. Returns at least 1.
 */
export function planEpochs(ctx: ScriptContext, opts: TrainOptions, data: TrainData, started: number): number {
  const probe = new ResNet({ width: opts.width, residual: opts.residual, labelSmoothing: opts.labelSmoothing, reg: opts.reg });
  const perStep = timeSteps(ctx, opts, data, probe);
  const batch = Math.min(opts.batchSize, data.XTrain.shape[0]);
  const { epochs, epochSeconds } = epochsThatFit(opts, data, secondsLeft(opts, started), perStep);
  ctx.log(
    `planning: ${perStep.toFixed(2)} s per step of ${batch} images, ~${(epochSeconds / 60).toFixed(1)} min per epoch with a ${PLAN_MARGIN * 100}% margin: ` +
      `${epochs} epochs fit in the ${opts.timeBudget}-minute budget (pass --epochs to fix the number)`,
  );
  return epochs;
}

/**
 * airbench's widths, widest first: airbench93's and two narrower nets of the same shape for short budgets.
 * planAirbench takes the widest with at least AIRBENCH_MIN_EPOCHS epochs in the budget. airbench94's widths
 * (64, 256, 256) are not planned: their step's peak memory at the default batch is not measured against the 3 GB
 * bound (docs/best-model.md); --widths 64,256,256 asks for them.
 */
export const AIRBENCH_WIDTHS: readonly [number, number, number][] = [
  [64, 128, 128],
  [48, 96, 96],
  [32, 64, 64],
];
/** airbench's nets are tuned for 10 to 11 epochs; fewer epochs of a wider net lose more than the width gains. */
export const AIRBENCH_MIN_EPOCHS = 10;

/** Multiply-adds per image of airbench's convolutions at the given widths (32 x 32 x 3 inputs). */
export function airbenchMacs(widths: readonly number[]): number {
  let macs = 31 * 31 * 24 * 12;
  let h = 31;
  let cin = 24;
  for (const w of widths) {
    macs += h * h * cin * w * 9;
    h = Math.floor(h / 2);
    macs += h * h * w * w * 9;
    cin = w;
  }
  return macs;
}

/**
 * Widths, epochs and test-time augmentation of a fresh airbench run without --epochs (or --widths): times the
 * steps of an airbench93-wide probe (or of --widths), scales that time to the other widths by their multiply-adds,
 * and takes the widest net that fits AIRBENCH_MIN_EPOCHS epochs (the narrowest when none does) with as many epochs
 * as fit. Test-time augmentation over shifts is on from a TTA_SHIFTS_MIN_BUDGET-minute budget unless a flag says.
 * Prints the plan.
 */
export function planAirbench(ctx: ScriptContext, opts: TrainOptions, data: TrainData, started: number): { widths: [number, number, number]; epochs: number } {
  opts.ttaShifts ??= opts.timeBudget >= TTA_SHIFTS_MIN_BUDGET;
  const probed: [number, number, number] = opts.widths ?? [64, 128, 128];
  const perStep = timeSteps(ctx, opts, data, new Airbench({ widths: probed }));
  const batch = Math.min(opts.batchSize, data.XTrain.shape[0]);
  let plan = pickAirbenchPlan(opts, data, secondsLeft(opts, started), probed, perStep);
  if (plan.widths.join() !== probed.join()) {
    // A narrower net's step is slower than its multiply-adds say (the elementwise layers and the per-kernel overhead
    // shrink less: 32/64/64 took 1.24 s a step of 256 against 2.6 s at 64/128/128, 0.48 of the time for 0.31 of the
    // multiply-adds), so the chosen widths are timed themselves and their epochs planned from that.
    const chosen = plan.widths;
    const scaled = plan.step;
    const step = timeSteps(ctx, opts, data, new Airbench({ widths: chosen }));
    plan = pickAirbenchPlan({ ...opts, widths: chosen }, data, secondsLeft(opts, started), chosen, step);
    ctx.log(`planning: widths ${chosen.join('/')} timed at ${step.toFixed(2)} s per step (their multiply-adds said ${scaled.toFixed(2)} s)`);
  }
  ctx.log(
    `planning: ${perStep.toFixed(2)} s per step of ${batch} images at widths ${probed.join('/')}; widths ${plan.widths.join('/')} ` +
      `(~${(airbenchMacs(plan.widths) / 1e6).toFixed(0)}M multiply-adds per image), ~${(plan.epochSeconds / 60).toFixed(1)} min per epoch with a ` +
      `${PLAN_MARGIN * 100}% margin: ${plan.epochs} epochs of batch ${opts.batchSize} fit in the ${opts.timeBudget}-minute budget beside ` +
      `~${(plan.evalSeconds / 60).toFixed(1)} min of evaluation; test-time augmentation ` +
      `${!opts.tta ? 'off' : opts.ttaShifts ? 'flips and 1-pixel shifts (6 views)' : 'flips'} (pass --epochs and --widths to fix them)`,
  );
  return { widths: plan.widths, epochs: plan.epochs };
}

/**
 * planAirbench's choice, given the step time perStep measured at widths `probed`: each candidate's step scaled by
 * its multiply-adds, then the widest candidate with AIRBENCH_MIN_EPOCHS epochs in secondsLeft, else the narrowest
 * (with as many epochs as fit, at least 1). Candidates: opts.widths alone when set, else AIRBENCH_WIDTHS.
 */
export function pickAirbenchPlan(
  opts: Pick<TrainOptions, 'batchSize' | 'tta' | 'ttaShifts' | 'model' | 'widths'>,
  data: PlanData,
  secondsLeft: number,
  probed: readonly number[],
  perStep: number,
): EpochPlan & { widths: [number, number, number]; step: number } {
  const candidates = opts.widths ? [opts.widths] : AIRBENCH_WIDTHS;
  const plans = candidates.map((widths) => {
    const step = (perStep * airbenchMacs(widths)) / airbenchMacs(probed);
    return { widths: [...widths] as [number, number, number], step, ...epochsThatFit(opts, data, secondsLeft, step) };
  });
  return plans.find((p) => p.epochs >= AIRBENCH_MIN_EPOCHS) ?? plans[plans.length - 1];
}

export type StoppedBy = 'epochs' | 'time budget' | 'time budget, mid-epoch';

export interface TrainingTimes {
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
export function trainWithinBudget(ctx: ScriptContext, opts: TrainOptions, s: Solver, data: TrainData, started: number): TrainingTimes {
  const budgetSeconds = opts.timeBudget * 60;
  const epochSeconds: number[] = [];
  const iterationSeconds: number[] = [];
  const valChecks: { iteration: number; val_acc: number }[] = [];
  const trainStarted = Date.now();
  let epochStarted = trainStarted;
  let stoppedBy: StoppedBy = 'epochs';
  /** Seconds the end of the run takes: forward passes over val + test (about half a training step per image: evaluationImages), the figures. */
  const evaluationSeconds = (perIteration: number) => (perIteration / s.batchSize) * evaluationImages(opts, data) + 10;
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
 * Puts the parameters to evaluate in the model: after a completed one-cycle `schedule` the last ones, else the
 * Solver's best by validation accuracy (with the batchnorm statistics of the same moment). After a mid-epoch stop
 * the current parameters are checked first: the Solver's best are then from the last epoch boundary, perhaps only
 * from the check after the first step. Returns the (possibly fractional) epoch of the parameters kept.
 */
export function chooseFinalParams(ctx: ScriptContext, s: Solver, schedule: LrSchedule | null, data: TrainData, stoppedBy: StoppedBy): number {
  if (schedule?.kind === 'one-cycle' && stoppedBy === 'epochs') {
    // The schedule's end (learning rate 0) is the point of the run: keep the last parameters rather than an
    // earlier epoch that did as well on 1,000 validation images by chance.
    ctx.log(`one-cycle schedule completed: evaluating the last parameters (epoch ${s.epoch}; best validation accuracy ${s.bestValAcc.toFixed(4)})`);
    copyLookaheadWeights(ctx, s);
    return s.epoch;
  }
  if (stoppedBy === 'time budget, mid-epoch') {
    const now = s.checkAccuracy(data.XVal, data.yVal);
    const keepCurrent = now >= s.bestValAcc;
    ctx.log(`val acc at the stop ${now.toFixed(4)}, best at an epoch boundary ${s.bestValAcc.toFixed(4)}: keeping the ${keepCurrent ? 'current' : 'best'} parameters`);
    // In (fractional) epochs, as the Solver counts them.
    if (keepCurrent) return s.iteration / s.iterationsPerEpoch;
  }
  s.useBestParams();
  return s.valAccHistory.indexOf(s.bestValAcc);
}

/** With a lookahead rule, the end of training: every parameter takes its slow weights (src/optim/lookahead.ts). */
function copyLookaheadWeights(ctx: ScriptContext, s: Solver): void {
  let copied = 0;
  for (const [name, p] of Object.entries(s.model.params)) {
    const ema = lookaheadWeights(s.optimConfigs[name] ?? {});
    if (ema) {
      p.assign(ema);
      copied++;
    }
  }
  if (copied > 0) ctx.log(`lookahead: the ${copied} parameters take their slow weights`);
}
