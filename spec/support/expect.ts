/**
 * The checks the specs share: every row of a cross-check passes, and a relative error is within its bound. On a
 * failure each names the layer or quantity, the error and the bound, as the notebooks' checks print them.
 */
import { AUTODIFF_BOUND } from '../../src/gradcheck';
import { CrossCheckRow } from '../../reference/crosscheck';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    interface Matchers<R> {
      /** received <= bound (NaN fails); the message names label, the value and the bound. */
      toBeWithin(bound: number, label: string): R;
    }
  }
}

expect.extend({
  toBeWithin(received: number, bound: number, label: string) {
    const pass = received <= bound;
    return {
      pass,
      message: () => `${label}: relative error ${received.toExponential(2)} ${pass ? '<=' : '>'} ${bound.toExponential()}`,
    };
  },
});

/** A relative error within its bound: `err <= bound`, failing with `label: relative error 3.1e-3 > 1e-5`. */
export function expectWithin(label: string, err: number, bound: number): void {
  expect(err).toBeWithin(bound, label);
}

/**
 * Every row of a hand-written vs autodiff comparison (reference/crosscheck.ts) passes; a failure lists each failing
 * row with its relative error, the bound, and the gradient's norm (tiny norms are float32 noise, see ABS_FLOOR).
 */
export function expectAllPass(rows: CrossCheckRow[], bound = AUTODIFF_BOUND): void {
  const failed = rows
    .filter((r) => !r.pass)
    .map((r) => `${r.layer} ${r.param}: relative error ${r.norm.toExponential(2)} > ${bound.toExponential()} (|grad| ${r.scale.toExponential(2)})`);
  expect(failed).toEqual([]);
}
