/**
 * `npm run train`'s planner without timing anything: given a step time, pickAirbenchPlan must take the widest net
 * that trains AIRBENCH_MIN_EPOCHS epochs inside the budget beside its evaluation, else the narrowest; and the plan
 * it prints must fit the budget it was given.
 */
import { AIRBENCH_MIN_EPOCHS, AIRBENCH_WIDTHS, PlanData, airbenchMacs, epochsThatFit, evaluationImages, pickAirbenchPlan } from '../../scripts/lib/train_budget';

/** The default run's sets: 49,000 training, 1,000 validation and 10,000 test images. */
const FULL: PlanData = { XTrain: { shape: [49000, 32, 32, 3] }, XVal: { shape: [1000, 32, 32, 3] }, XTest: { shape: [10000, 32, 32, 3] } };
const AIRBENCH93: [number, number, number] = [64, 128, 128];
/** Seconds per step of 256 images at airbench93's widths: what the default run measured on a quiet 2-core machine. */
const QUIET_STEP = 2.64;

const opts = (ttaShifts: boolean, widths?: [number, number, number]) => ({ batchSize: 256, tta: true, ttaShifts, model: 'airbench' as const, widths });

describe('train planner (scripts/lib/train_budget.ts)', () => {
  it("counts airbench93's and airbench94's multiply-adds per image as the docs state them", () => {
    expect(airbenchMacs([64, 128, 128]) / 1e6).toBeCloseTo(54.2, 1);
    expect(airbenchMacs([64, 256, 256]) / 1e6).toBeCloseTo(118.1, 1);
  });

  it('prices the evaluation by its forward passes: six views with shifts (and the test set again with flips alone and plain), two with flips, one without', () => {
    expect(evaluationImages({ ...opts(true) }, FULL)).toBeCloseTo((11000 * 6 + 10000 * 3) / 2);
    expect(evaluationImages({ ...opts(false) }, FULL)).toBeCloseTo((11000 * 2 + 10000) / 2);
    expect(evaluationImages({ ...opts(false), tta: false }, FULL)).toBeCloseTo(11000 / 2);
  });

  it('plans airbench93 for the default two-hour budget, and the plan fits the budget beside its evaluation', () => {
    const left = 115 * 60 - 60;
    const plan = pickAirbenchPlan(opts(true), FULL, left, AIRBENCH93, QUIET_STEP);
    expect(plan.widths).toEqual(AIRBENCH93);
    expect(plan.epochs).toBeGreaterThanOrEqual(AIRBENCH_MIN_EPOCHS);
    expect(plan.epochs * plan.epochSeconds + plan.evalSeconds).toBeLessThanOrEqual(left);
    // One more epoch would not fit: the planner fills the budget.
    expect((plan.epochs + 1) * plan.epochSeconds + plan.evalSeconds).toBeGreaterThan(left);
  });

  it("sets the evaluation's time aside: an epoch that would leave no room for it is not planned", () => {
    const { epochSeconds, evalSeconds } = epochsThatFit(opts(true), FULL, 1e9, QUIET_STEP);
    expect(evalSeconds).toBeGreaterThan(60);
    const left = 11 * epochSeconds + evalSeconds / 2;
    expect(epochsThatFit(opts(true), FULL, left, QUIET_STEP).epochs).toBe(10);
  });

  it('takes the widest net with enough epochs in a short budget, and no wider one had them', () => {
    for (const minutes of [15, 30, 60]) {
      const left = minutes * 60 - 60;
      const plan = pickAirbenchPlan(opts(false), FULL, left, AIRBENCH93, QUIET_STEP);
      const index = AIRBENCH_WIDTHS.findIndex((w) => w.join() === plan.widths.join());
      expect(index).toBeGreaterThanOrEqual(0);
      for (const wider of AIRBENCH_WIDTHS.slice(0, index)) {
        const step = (QUIET_STEP * airbenchMacs(wider)) / airbenchMacs(AIRBENCH93);
        expect(epochsThatFit(opts(false), FULL, left, step).epochs).toBeLessThan(AIRBENCH_MIN_EPOCHS);
      }
      if (index < AIRBENCH_WIDTHS.length - 1) expect(plan.epochs).toBeGreaterThanOrEqual(AIRBENCH_MIN_EPOCHS);
      expect(plan.epochs * plan.epochSeconds + plan.evalSeconds).toBeLessThanOrEqual(left);
    }
  });

  it('falls back to the narrowest net, at least one epoch, on a machine too slow for any', () => {
    const plan = pickAirbenchPlan(opts(false), FULL, 30 * 60, AIRBENCH93, 40);
    expect(plan.widths).toEqual(AIRBENCH_WIDTHS[AIRBENCH_WIDTHS.length - 1]);
    expect(plan.epochs).toBe(1);
  });

  it('keeps the widths a flag fixed, scaling the step measured at other widths', () => {
    const plan = pickAirbenchPlan(opts(false, [64, 256, 256]), FULL, 115 * 60, AIRBENCH93, QUIET_STEP);
    expect(plan.widths).toEqual([64, 256, 256]);
    expect(plan.step).toBeCloseTo((QUIET_STEP * airbenchMacs([64, 256, 256])) / airbenchMacs(AIRBENCH93));
  });
});
