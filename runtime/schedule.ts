/**
 * Learning-rate schedules: the learning rate as a function of training progress, measured in epochs (fractional:
 * iteration / iterations per epoch), beyond the course's per-epoch lrDecay. scheduleFunction turns one into the
 * Solver's lrSchedule hook, which sets every parameter's learningRate before each step.
 *
 * One-cycle (Smith 2018, "Super-Convergence"; the piecewise-linear form of Page's ResNet-9): the rate rises
 * linearly from `start` to `peak` over the first `warmupEpochs` and falls linearly to `end` at `totalEpochs`.
 * The warm-up keeps the first steps small while batchnorm's statistics and the weights' scale settle; the high
 * middle moves fast across the loss surface; the long decay ends in a narrow, low-loss valley that a constant rate
 * would keep bouncing across.
 *
 *   lr
 *   peak |      /\
 *        |     /  \____
 *        |    /        \____
 *  start |___/              \____ end
 *        0  warmup            total  (epochs)
 *
 * A schedule is plain data (a checkpoint records it, so a resumed run continues on the same curve);
 * learningRateAt turns it into a number.
 */

export interface OneCycleSchedule {
  kind: 'one-cycle';
  /** Learning rate at epoch 0. */
  start: number;
  /** Learning rate at the end of the warm-up, the highest. */
  peak: number;
  /** Learning rate at totalEpochs (and after). */
  end: number;
  warmupEpochs: number;
  totalEpochs: number;
}

/** A constant rate decayed by `decay` at the end of every epoch: the course's lrDecay, as a schedule. */
export interface StepDecaySchedule {
  kind: 'step-decay';
  start: number;
  decay: number;
}

export type LrSchedule = OneCycleSchedule | StepDecaySchedule;

/** Throws unless the schedule's numbers make a curve (positive peak, warm-up within the run, ...). */
export function checkSchedule(s: LrSchedule): void {
  const fn = 'lr schedule';
  const finite = (v: number) => typeof v === 'number' && Number.isFinite(v);
  if (s.kind === 'one-cycle') {
    if (!(finite(s.peak) && s.peak > 0)) throw new Error(`${fn}: one-cycle peak must be positive, got ${s.peak}`);
    if (!(finite(s.start) && s.start >= 0 && finite(s.end) && s.end >= 0)) throw new Error(`${fn}: one-cycle start and end must be >= 0, got ${s.start}, ${s.end}`);
    if (!(finite(s.totalEpochs) && s.totalEpochs > 0)) throw new Error(`${fn}: one-cycle totalEpochs must be positive, got ${s.totalEpochs}`);
    if (!(finite(s.warmupEpochs) && s.warmupEpochs >= 0 && s.warmupEpochs < s.totalEpochs)) {
      throw new Error(`${fn}: one-cycle warmupEpochs must be in [0, totalEpochs = ${s.totalEpochs}), got ${s.warmupEpochs}`);
    }
  } else if (s.kind === 'step-decay') {
    if (!(finite(s.start) && s.start > 0)) throw new Error(`${fn}: step-decay start must be positive, got ${s.start}`);
    if (!(finite(s.decay) && s.decay > 0)) throw new Error(`${fn}: step-decay decay must be positive, got ${s.decay}`);
  } else {
    throw new Error(`${fn}: unknown kind '${(s as { kind: unknown }).kind}'; one of one-cycle, step-decay`);
  }
}

/** The learning rate at `epoch` (fractional; 0 = before the first step) on schedule s. */
export function learningRateAt(s: LrSchedule, epoch: number): number {
  if (s.kind === 'step-decay') return s.start * s.decay ** Math.floor(epoch);
  if (epoch < s.warmupEpochs) return s.start + ((s.peak - s.start) * epoch) / s.warmupEpochs;
  if (epoch >= s.totalEpochs) return s.end;
  return s.peak + ((s.end - s.peak) * (epoch - s.warmupEpochs)) / (s.totalEpochs - s.warmupEpochs);
}

/** The Solver's lrSchedule hook for schedule s (checked first): epoch (fractional) -> learning rate. */
export function scheduleFunction(s: LrSchedule): (epoch: number) => number {
  checkSchedule(s);
  return (epoch) => learningRateAt(s, epoch);
}
