/**
 * Learning-rate schedules (runtime/schedule.ts) and the Solver's lrSchedule hook: the one-cycle curve at its
 * corners and in between, step decay, errors for curves that cannot be, and a Solver that sets every parameter's
 * rate from the schedule before each step, whose checkpoints (runtime/resume.ts) record the schedule so that a
 * resumed run continues on it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from './support/backend';
import { LrSchedule, OneCycleSchedule, checkSchedule, learningRateAt, scheduleFunction } from '../runtime/schedule';
import { Solver } from '../src/solver';
import { checkpointEachEpoch, resumeSolverFrom } from '../runtime/resume';
import { loadCheckpoint, disposeCheckpoint } from '../runtime/checkpoint';
import { TinyNet, tinyData } from './support/tiny_net';

beforeAll(() => useBackend());

const CYCLE: OneCycleSchedule = { kind: 'one-cycle', start: 0, peak: 0.4, end: 0, warmupEpochs: 2, totalEpochs: 10 };

describe('learningRateAt', () => {
  it('one-cycle: rises linearly to the peak over the warm-up, falls linearly to the end, stays there', () => {
    expect(learningRateAt(CYCLE, 0)).toBe(0);
    expect(learningRateAt(CYCLE, 1)).toBeCloseTo(0.2, 12);
    expect(learningRateAt(CYCLE, 2)).toBeCloseTo(0.4, 12);
    expect(learningRateAt(CYCLE, 6)).toBeCloseTo(0.2, 12);
    expect(learningRateAt(CYCLE, 10)).toBe(0);
    expect(learningRateAt(CYCLE, 12)).toBe(0);
    expect(learningRateAt({ ...CYCLE, start: 0.04, end: 0.01 }, 0)).toBe(0.04);
    expect(learningRateAt({ ...CYCLE, warmupEpochs: 0 }, 0)).toBe(0.4);
  });

  it('step decay: the start rate times decay per completed epoch', () => {
    const s: LrSchedule = { kind: 'step-decay', start: 1e-3, decay: 0.5 };
    expect(learningRateAt(s, 0)).toBe(1e-3);
    expect(learningRateAt(s, 0.99)).toBe(1e-3);
    expect(learningRateAt(s, 2.5)).toBeCloseTo(2.5e-4, 15);
  });

  it('checkSchedule names what cannot be', () => {
    expect(() => checkSchedule({ ...CYCLE, peak: 0 })).toThrow('lr schedule: one-cycle peak must be positive, got 0');
    expect(() => checkSchedule({ ...CYCLE, warmupEpochs: 10 })).toThrow('lr schedule: one-cycle warmupEpochs must be in [0, totalEpochs = 10), got 10');
    expect(() => checkSchedule({ ...CYCLE, end: -1 })).toThrow('lr schedule: one-cycle start and end must be >= 0, got 0, -1');
    expect(() => checkSchedule({ kind: 'step-decay', start: 1e-3, decay: 0 })).toThrow('lr schedule: step-decay decay must be positive, got 0');
    expect(() => checkSchedule({ kind: 'cosine' } as unknown as LrSchedule)).toThrow("lr schedule: unknown kind 'cosine'; one of one-cycle, step-decay");
  });
});

describe('Solver with lrSchedule', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'schedule-spec-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('sets every parameter rate before each step, checkpoints the schedule and resumes on it', () => {
    const data = tinyData(40, 5, 3, 1);
    const val = tinyData(20, 5, 3, 2);
    const solverData = { XTrain: data.X, yTrain: data.y, XVal: val.X, yVal: val.y };
    // 40 examples in batches of 10: 4 steps per epoch, 3 epochs.
    const schedule: OneCycleSchedule = { kind: 'one-cycle', start: 0, peak: 0.5, end: 0, warmupEpochs: 1, totalEpochs: 3 };
    const model = new TinyNet();
    const rates: number[] = [];
    const solver = new Solver(model, solverData, {
      updateRule: 'sgd_momentum',
      lrSchedule: scheduleFunction(schedule),
      batchSize: 10,
      numEpochs: 3,
      verbose: false,
      onEpochEnd: checkpointEachEpoch(dir, 'ckpt', { lrSchedule: schedule }),
      onIteration: (_, s) => rates.push(s.learningRate as number),
    });
    solver.train();
    const expected = Array.from({ length: 12 }, (_, i) => learningRateAt(schedule, i / 4));
    rates.forEach((r, i) => expect(r).toBeCloseTo(expected[i], 12));
    for (const config of Object.values(solver.optimConfigs)) expect(config.learningRate).toBeCloseTo(expected[11], 12);
    expect(solver.bestValAcc).toBeGreaterThan(0.9);

    const saved = loadCheckpoint(path.join(dir, 'ckpt_epoch_2.json'));
    expect(saved.solver?.lrSchedule).toEqual(schedule);
    disposeCheckpoint(saved);
    const resumed = resumeSolverFrom(new TinyNet(), solverData, path.join(dir, 'ckpt_epoch_2.json'), { verbose: false });
    resumed.step();
    expect(resumed.learningRate).toBeCloseTo(learningRateAt(schedule, 2), 12);
    const before = tf.memory().numTensors;
    resumed.step();
    expect(tf.memory().numTensors).toBe(before);
    resumed.model.dispose?.();
    resumed.dispose();
    solver.dispose();
    model.dispose();
    tf.dispose([data.X, data.y, val.X, val.y]);
  });

  it('is the only home of the learning rate: refuses a schedule with an lrDecay or a learningRate, a schedule that cannot be, and a rate that is not one', () => {
    const data = tinyData(10, 5, 3, 3);
    const d = { XTrain: data.X, yTrain: data.y, XVal: data.X, yVal: data.y };
    const model = new TinyNet();
    const cycle = scheduleFunction(CYCLE);
    expect(() => new Solver(model, d, { lrSchedule: cycle, lrDecay: 0.9 })).toThrow(
      'Solver: options.lrSchedule sets the learning rate of every step; do not pass optimConfig.learningRate (undefined) or lrDecay (0.9) with it',
    );
    expect(() => new Solver(model, d, { lrSchedule: cycle, optimConfig: { learningRate: 0.1 } })).toThrow('do not pass optimConfig.learningRate (0.1) or lrDecay (1) with it');
    expect(() => scheduleFunction({ ...CYCLE, totalEpochs: 0 })).toThrow('one-cycle totalEpochs must be positive, got 0');
    const before = tf.memory().numTensors;
    const nan = new Solver(model, d, { lrSchedule: () => NaN, batchSize: 5, verbose: false });
    expect(() => nan.step()).toThrow('Solver: options.lrSchedule must return a finite learning rate >= 0, got NaN at iteration 1');
    nan.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
    tf.dispose([data.X, data.y]);
  });
});
