/**
 * The emulated fused multiply-add against exact arithmetic: BigInt holds a * b + c exactly, and Number(bigint)
 * rounds it once, to nearest even, which is the definition of an FMA.
 */
import { fma } from '../support/fma';
import { Rng } from '../../src/random';

/** A finite nonzero double as an exact integer significand times a power of two. */
function decompose(x: number): { m: bigint; e: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const sign = bits >> 63n ? -1n : 1n;
  const exp = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & ((1n << 52n) - 1n);
  if (exp === 0) return { m: sign * frac, e: -1074 };
  return { m: sign * (frac | (1n << 52n)), e: exp - 1075 };
}

/** a * b + c computed exactly, then rounded once (for values in the normal range, as here). */
function exactFma(a: number, b: number, c: number): number {
  const A = decompose(a);
  const B = decompose(b);
  const C = decompose(c);
  const eProd = A.e + B.e;
  const e0 = Math.min(eProd, C.e);
  const sum = ((A.m * B.m) << BigInt(eProd - e0)) + (C.m << BigInt(C.e - e0));
  // Number(bigint) rounds to nearest even; scaling by a power of two is exact in the normal range.
  // Shift the integer into double range first so that 2 ** e0 does not underflow on the way.
  const shift = Math.max(0, sum.toString(2).length - 60);
  const rounded = shift > 0 ? Number(roundShift(sum, shift)) : Number(sum);
  return rounded * 2 ** (e0 + shift);
}

/** sum / 2^shift, keeping enough bits that the later Number() rounding is the only rounding (sticky bit kept). */
function roundShift(sum: bigint, shift: number): bigint {
  const neg = sum < 0n;
  const abs = neg ? -sum : sum;
  const kept = abs >> BigInt(shift);
  const sticky = abs & ((1n << BigInt(shift)) - 1n) ? 1n : 0n;
  // Keep one extra low bit as a sticky bit: 60 kept bits > 53 + 2, so round-to-nearest-even of (kept | sticky)
  // equals that of the exact value.
  const r = kept | sticky;
  return neg ? -r : r;
}

describe('fma', () => {
  it('0.1 * 10 - 1 is exactly 2^-54 with one rounding (0 with two)', () => {
    expect(0.1 * 10 - 1).toBe(0);
    expect(fma(0.1, 10, -1)).toBe(2 ** -54);
  });

  it('matches exact arithmetic rounded once, on greyscale-like and random operands', () => {
    const rng = new Rng(1);
    const weights = [0.299, 0.587, 0.144];
    let differsFromTwoRoundings = 0;
    for (let i = 0; i < 20000; i++) {
      const a = i % 2 === 0 ? rng.int(256) : (rng.uniform() - 0.5) * 1e3;
      const b = i % 2 === 0 ? weights[i % 3] : (rng.uniform() - 0.5) * 1e-2;
      const c = i % 2 === 0 ? rng.int(256) * 0.299 : (rng.uniform() - 0.5) * 10;
      const expected = exactFma(a, b, c);
      const got = fma(a, b, c);
      if (got !== expected) throw new Error(`fma(${a}, ${b}, ${c}) = ${got}, exact rounding gives ${expected}`);
      if (got !== a * b + c) differsFromTwoRoundings++;
    }
    // The test means something only if one rounding often differs from two.
    expect(differsFromTwoRoundings).toBeGreaterThan(1000);
  });

  it('is exact where the product and sum are', () => {
    expect(fma(3, 4, 5)).toBe(17);
    expect(fma(-2.5, 4, 10)).toBe(0);
    expect(fma(255, 0.5, 0.25)).toBe(127.75);
  });
});
