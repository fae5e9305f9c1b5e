/**
 * The playground's pure helpers, without a browser: chart ticks a reader takes in at a glance, a loss history
 * whose drawing cost stays bounded however long the run, and the memory estimate that refuses a model before it
 * is built.
 */
import { formatTick, runningMean, ThinnedSeries } from '../../web/charts';
import { checkFitsInMemory, estimateTrainingBytes, MEMORY_LIMIT_BYTES, MODEL_NAMES, MODELS } from '../../web/models';

describe('formatTick', () => {
  it.each([
    [0, '0'],
    [0.05, '0.05'],
    [2.3, '2.3'],
    [500, '500'],
    [10000, '10k'],
    [25000, '25k'],
    [1500000, '1.5M'],
    [1e-4, '1e-4'],
  ])('%p -> %p', (v, shown) => expect(formatTick(v)).toBe(shown));
});

describe('ThinnedSeries', () => {
  it('keeps at most 2 * maxPoints buckets, each the mean of its points, whatever the length', () => {
    const s = new ThinnedSeries(100);
    let sum = 0;
    let longest = 0;
    const n = 100000;
    for (let i = 1; i <= n; i++) {
      const y = Math.sin(i / 500) + 2;
      s.push(i, y);
      sum += y;
      longest = Math.max(longest, s.length);
    }
    expect(longest).toBeLessThan(200);
    const { xs, ys } = s.points();
    expect(xs[0]).toBe(1);
    // 100,000 points in fewer than 200 buckets: 512 points each (256 would need 391).
    expect(s.size).toBe(512);
    // Every full bucket holds s.size points: the weighted mean of the buckets is the mean of all points.
    const counts = xs.map((x, i) => (i + 1 < xs.length ? xs[i + 1] : n + 1) - x);
    const total = ys.reduce((a, y, i) => a + y * counts[i], 0);
    expect(total / n).toBeCloseTo(sum / n, 10);
    expect(counts.slice(0, -1).every((c) => c === s.size)).toBe(true);
  });

  it('is the raw series while short', () => {
    const s = new ThinnedSeries(100);
    [3, 1, 2].forEach((y, i) => s.push(i + 1, y));
    expect(s.points()).toEqual({ xs: [1, 2, 3], ys: [3, 1, 2] });
    expect(runningMean([3, 1, 2], 2)).toEqual([3, 2, 1.5]);
  });
});

describe('memory estimate', () => {
  it('lets every default model through and refuses 200,000 hidden units with the estimate', () => {
    for (const name of MODEL_NAMES) {
      expect(estimateTrainingBytes(name, MODELS[name].defaults).bytes).toBeLessThan(MEMORY_LIMIT_BYTES);
      expect(() => checkFitsInMemory(name, MODELS[name].defaults)).not.toThrow();
    }
    const huge = { ...MODELS.two_layer_net.defaults, hiddenDim: 200000 };
    // W1 alone is 3072 x 200,000 float32 = 2.3 GiB; with W2 and b1, 616.6 million parameters, four copies of each 9.2 GiB.
    expect(estimateTrainingBytes('two_layer_net', huge).bytes).toBeGreaterThan(9 * 2 ** 30);
    expect(() => checkFitsInMemory('two_layer_net', huge)).toThrow(/would need about 9\.\d GiB \(616\.6 million parameters/);
  });
});
