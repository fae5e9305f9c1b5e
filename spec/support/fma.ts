/**
 * Fused multiply-add, a * b + c with one rounding instead of two, which JavaScript's Math lacks; and with it the
 * greyscale exactly as numpy rounds it, for the specs that compare HOG with the course's numpy code bit for bit.
 *
 * Why the HOG specs need it: the course's greyscale is `np.dot(rgb, [0.299, 0.587, 0.144])`, and numpy hands that to BLAS.
 * OpenBLAS on an x86-64 CPU with FMA (numpy's usual wheel) evaluates each pixel as
 * fma(b, 0.144, fma(g, 0.587, r * 0.299)); the plain r * 0.299 + g * 0.587 + b * 0.144 differs from it in the last
 * bit for about a fifth of CIFAR-10 pixels. That bit matters where two neighbours' grey levels tie: it decides
 * whether gx is exactly 0 or 1e-14, and so whether a horizontal edge falls in no orientation bin or in bin 0 or 8
 * (see docs/hog.md). src/features/hog.ts writes the plain sum, as a reader would.
 *
 * Method (Boldo and Melquiond, "Emulation of a FMA and correctly-rounded sums: proved algorithms using rounding to
 * odd", IEEE Trans. Computers 2008): the exact product a * b = ph + pl (Dekker's TwoProduct with Veltkamp's split),
 * the exact sum c + ph = sh + sl (Knuth's TwoSum), then v = pl + sl rounded to odd, and the result sh + v rounded
 * to nearest. Rounding to odd is emulated: round to nearest, and if that was inexact and landed on an even
 * significand, step one ulp toward the exact value. Valid for finite inputs away from overflow and underflow,
 * which pixel values and weights are.
 */

/** 2^27 + 1: multiplying by it splits a double into two halves of at most 26 significant bits (Veltkamp). */
const SPLITTER = 134217729;

/** Scratch for reading and stepping a double's bits. Typed arrays use the platform's byte order: little-endian. */
const scratch = new Float64Array(1);
const words = new Uint32Array(scratch.buffer);
const LOW = 0;
const HIGH = 1;

/** a * b + c rounded once, to nearest even. */
export function fma(a: number, b: number, c: number): number {
  // a * b = ph + pl exactly.
  const ph = a * b;
  let t = SPLITTER * a;
  const aHi = t - (t - a);
  const aLo = a - aHi;
  t = SPLITTER * b;
  const bHi = t - (t - b);
  const bLo = b - bHi;
  const pl = aHi * bHi - ph + aHi * bLo + aLo * bHi + aLo * bLo;
  // c + ph = sh + sl exactly.
  const sh = c + ph;
  let virt = sh - c;
  const sl = c - (sh - virt) + (ph - virt);
  // v = pl + sl rounded to odd.
  let v = pl + sl;
  virt = v - pl;
  const err = pl - (v - virt) + (sl - virt);
  if (err !== 0) {
    scratch[0] = v;
    if ((words[LOW] & 1) === 0) {
      // Inexact and even: the odd neighbour toward the exact value. v != 0 here (an exact zero has err = 0).
      if (err > 0 === v > 0) {
        words[LOW] += 1; // even low word: no carry
      } else if (words[LOW] === 0) {
        words[LOW] = 0xffffffff;
        words[HIGH] -= 1;
      } else {
        words[LOW] -= 1;
      }
      v = scratch[0];
    }
  }
  return sh + v;
}

/**
 * The course's greyscale as np.dot computes it with OpenBLAS on a CPU with FMA: fma(B, 0.144, fma(G, 0.587, R * 0.299))
 * per pixel. image: H * W * 3 values, HWC. Returns the grey levels [H * W].
 */
export function numpyGray(image: ArrayLike<number>): Float64Array {
  const gray = new Float64Array(image.length / 3);
  for (let p = 0; p < gray.length; p++) gray[p] = fma(image[3 * p + 2], 0.144, fma(image[3 * p + 1], 0.587, image[3 * p] * 0.299));
  return gray;
}
