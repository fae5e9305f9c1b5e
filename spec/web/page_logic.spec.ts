/**
 * The playground's rules that need no browser: the runaway-loss test on a running mean, the epoch counted from
 * the examples seen, the compute-time and filter-size guards, the per-rule starting rates, the address's state
 * (every value checked), the session's record, and the chart's tick labels on huge and narrow ranges.
 */
import * as tf from '@tensorflow/tfjs-core';
import { formatTick, logTicks } from '../../web/charts';
import type { PageData } from '../../web/data';
import { architectureProblem, checkStepTime, estimateStepFlops, MODELS, STEP_TIME_LIMIT_S } from '../../web/models';
import { describeChange, Timeline } from '../../web/timeline';
import { RunawayLossError, Trainer } from '../../web/trainer';
import { parseDecimal, parseField, readUrlState, urlQuery } from '../../web/fields';
import { useBackend } from '../support/backend';
import { syntheticPageData as pageData } from './synthetic_cifar';

beforeAll(() => useBackend('cpu'));

/** A trainer of the softmax whose Solver reports the given minibatch losses in turn (the weights still train). */
function scriptedTrainer(data: PageData, losses: number[], batchSize: number): Trainer {
  const h = { ...MODELS.softmax.defaults, batchSize };
  const t = new Trainer((reg) => MODELS.softmax.build({ ...h, reg }, 0), data, h, 0, 1000);
  const solver = t.solver;
  const realStep = solver.step.bind(solver);
  let i = 0;
  solver.step = () => {
    realStep();
    solver.lossHistory[solver.lossHistory.length - 1] = losses[i];
    return losses[i++];
  };
  return t;
}

describe('Trainer: the runaway test and the epoch', () => {
  let data: PageData;
  beforeAll(() => {
    data = pageData(40);
  });
  afterAll(() => tf.dispose([data.XTrain, data.yTrain, data.XVal, data.yVal]));

  it('one noisy minibatch of one image (loss 25.7 among 0 to 1.9) does not stop training', () => {
    const losses = [2.3, 1.9, 0.4, 1.2, 0.1, 25.7, 0.8, 1.1, 0.3, 1.9, 0.02, 0.6];
    const t = scriptedTrainer(data, losses, 1);
    try {
      for (let k = 0; k < losses.length; k++) t.step();
      expect(t.iteration).toBe(losses.length);
    } finally {
      t.dispose();
    }
  });

  it('a loss whose running mean passes ten times the first stops, naming the mean, the iteration and the epoch', () => {
    const losses = [2.3, ...new Array<number>(30).fill(40)];
    const t = scriptedTrainer(data, losses, 1);
    try {
      let error: unknown = null;
      for (let k = 0; k < losses.length && error === null; k++) {
        try {
          t.step();
        } catch (e) {
          error = e;
        }
      }
      expect(error).toBeInstanceOf(RunawayLossError);
      expect((error as Error).message).toMatch(/^the running mean of the loss over the last \d+ steps is [\d.]+, more than 10 times its start \(2\.300\), at iteration \d+ \(epoch [\d.]+\)/);
    } finally {
      t.dispose();
    }
  });

  it('the epoch counts examples seen: a batch-size change does not rewrite the past', () => {
    const h = { ...MODELS.softmax.defaults, batchSize: 10 };
    const t = new Trainer((reg) => MODELS.softmax.build({ ...h, reg }, 0), data, h, 0, 1000);
    try {
      for (let k = 0; k < 3; k++) t.step();
      expect(t.epoch).toBeCloseTo(30 / 40, 10);
      t.reconfigure({ ...h, batchSize: 20 });
      expect(t.epoch).toBeCloseTo(30 / 40, 10);
      t.step();
      expect(t.examplesSeen).toBe(50);
      expect(t.epoch).toBeCloseTo(50 / 40, 10);
    } finally {
      t.dispose();
    }
  });

  it('a live change takes only the live fields: a stale architecture in the same object does not relabel the model', () => {
    const h = { ...MODELS.softmax.defaults, batchSize: 10, hiddenDim: 40 };
    const t = new Trainer((reg) => MODELS.softmax.build({ ...h, reg }, 0), data, h, 0, 1000);
    try {
      t.reconfigure({ ...h, learningRate: 1e-6, hiddenDim: 100 } as typeof h);
      expect(t.hyper).toEqual({ ...h, learningRate: 1e-6 });
    } finally {
      t.dispose();
    }
  });

  it("a NaN loss stops with the page's iteration and epoch, not the Solver's internal counters", () => {
    const h = { ...MODELS.softmax.defaults, learningRate: 1e35, batchSize: 10 };
    const t = new Trainer((reg) => MODELS.softmax.build({ ...h, reg }, 0), data, h, 0, 1000);
    try {
      let error: unknown = null;
      for (let k = 0; k < 20 && error === null; k++) {
        try {
          t.step();
        } catch (e) {
          error = e;
        }
      }
      expect(error).toBeInstanceOf(RunawayLossError);
      const message = (error as Error).message;
      expect(message).not.toMatch(/ \/ \d+/);
      expect(message).toMatch(/at iteration \d+ \(epoch [\d.]+\)/);
    } finally {
      t.dispose();
    }
  });
});

describe('guards', () => {
  it('20,000 hidden units pass the memory guard but not the compute-time guard, which says its estimate', () => {
    const h = { ...MODELS.two_layer_net.defaults, hiddenDim: 20000 };
    expect(() => checkStepTime('two_layer_net', h, 10)).toThrow(/^one training step would take about [\d.]+ s \([\d.]+ GFLOP at the 10\.0 GFLOP\/s this backend measured\)/);
    // The defaults of every model fit well within the limit at a modest 2 GFLOP/s.
    for (const name of ['softmax', 'two_layer_net', 'convnet'] as const) {
      expect(estimateStepFlops(name, MODELS[name].defaults) / 2e9).toBeLessThan(STEP_TIME_LIMIT_S);
    }
  });

  it('a filter larger than the image is refused; 31 is the largest taken', () => {
    expect(architectureProblem('convnet', { ...MODELS.convnet.defaults, filterSize: 33 })).toMatch(/^filter size 33 is larger than the 32x32 image/);
    expect(architectureProblem('convnet', { ...MODELS.convnet.defaults, filterSize: 31 })).toBeNull();
    expect(architectureProblem('softmax', { ...MODELS.softmax.defaults, filterSize: 33 })).toBeNull();
  });

  it('each rule starts each model at its own rate; rmsprop about ten times below adam (its cache starts at zero)', () => {
    for (const name of ['softmax', 'two_layer_net', 'convnet'] as const) {
      const r = MODELS[name].rates;
      expect(r[MODELS[name].defaults.updateRule]).toBe(MODELS[name].defaults.learningRate);
      expect(r.rmsprop).toBeLessThanOrEqual(r.adam / 10);
    }
  });
});

describe('the address holds the state', () => {
  it('reads every value back that it writes', () => {
    const h = { ...MODELS.convnet.defaults, learningRate: 2e-4, numFilters: 12 };
    const query = urlQuery('convnet', h, 'cpu', { seed: 3, train: 500, val: 50, evalEvery: 10 });
    const back = readUrlState(query);
    expect(back).toEqual({ model: 'convnet', hyper: h, backend: 'cpu', session: { seed: 3, train: 500, val: 50, evalEvery: 10 }, refused: [] });
  });

  it.each([
    ['?evalEvery=0', /^\?evalEvery=0 refused: it must be an integer from 1 to 10000; using 25$/],
    ['?filterSize=33', /^\?filterSize=33 refused: it must be an odd integer from 1 to 31; using 7$/],
    ['?lr=abc', /^\?lr=abc refused: it must be a number above 0/],
    ['?lr=0x10', /^\?lr=0x10 refused: it must be a number above 0/],
    ['?batch=0b11', /^\?batch=0b11 refused: it must be an integer from 1 to 5000/],
    ['?model=resnet', /^\?model=resnet refused/],
    [`?batch=${'9'.repeat(40)}`, /^\?batch= is 40 characters long; refused/],
    ['?lr=0x10', /^\?lr=0x10 refused: it must be a number above 0/],
    ['?batch=0b11', /^\?batch=0b11 refused: it must be an integer from 1 to 5000/],
    ['?lr=Infinity', /^\?lr=Infinity refused/],
    ['?hidden=1_000', /^\?hidden=1_000 refused/],
    [`?lr=1e-3&pad=${'x'.repeat(2000)}`, /^The address's query is \d+ characters long; refused whole \(at most 1024\): using the defaults$/],
  ])('%s is refused with one line, and the default used', (search, message) => {
    const s = readUrlState(search);
    expect(s.refused).toHaveLength(1);
    expect(s.refused[0]).toMatch(message);
    expect(s.session.evalEvery).toBe(25);
  });
});

describe('the fields', () => {
  it.each([
    ['1e-3', 1e-3],
    ['0.001', 0.001],
    [' 25 ', 25],
    ['.5', 0.5],
    ['2E-4', 2e-4],
  ])('%p is a plain decimal: %p', (text, v) => expect(parseDecimal(text)).toBe(v));

  it.each(['0x10', '0b1', '0o7', 'Infinity', '1_000', '', '1e', '--1', 'NaN', '1,5'])('%p is refused', (text) => expect(parseDecimal(text)).toBeNull());

  it('a field and the address refuse the same value with the same reason', () => {
    const f = parseField('learningRate', '0x10');
    expect(f).toEqual({ ok: false, message: "learning rate must be a number above 0 and at most 1e38 (e.g. 1e-3), got '0x10'" });
  });
});

describe('the session record and the charts', () => {
  it('keeps the curves across new weights, on one axis, with each event where it happened', () => {
    const t = new Timeline();
    for (let i = 1; i <= 10; i++) t.addLoss(i, 2);
    t.mark(10, describeChange({ lr: '1e-4', batch: '200' }, { lr: '2e-4', batch: '200' }));
    t.newModel();
    t.addLoss(1, 2.3);
    t.mark(0, 'new weights');
    expect(t.events).toEqual([{ x: 10, text: 'lr 1e-4 -> 2e-4' }, { x: 10, text: 'new weights' }]);
    expect(t.losses.points().xs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it.each([
    [1e11, '1e11'],
    [2.5e11, '2.5e11'],
    [3e9, '3e9'],
  ])('a huge tick %p reads %p, not 100000M', (v, shown) => expect(formatTick(v)).toBe(shown));

  it('a log axis gets at least three ticks, however narrow its range', () => {
    expect(logTicks(Math.log10(0.3), Math.log10(0.9)).length).toBeGreaterThanOrEqual(3);
    expect(logTicks(Math.log10(1.5), Math.log10(4)).length).toBeGreaterThanOrEqual(2);
    expect(logTicks(-3, 2).map((t) => t.label)).toEqual(['0.001', '0.01', '0.1', '1', '10', '100']);
  });
});
