/**
 * The playground's pure helpers, without a browser: chart ticks a reader takes in at a glance, a loss history
 * whose drawing cost stays bounded however long the run, change markers whose labels never overlap, and the memory estimate that refuses a model before it
 * is built.
 */
import { formatTick, layoutMarkers, MARKER_ROWS, markerNumbers, runningMean, ThinnedSeries } from '../../web/charts';
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

describe('change markers on a chart (layoutMarkers)', () => {
  /** Six pixels a character, about the chart's 10-pixel font. */
  const measure = (text: string) => 6 * text.length;
  const label = (i: number) => `lr ${i}e-3 -> ${i + 1}e-3`;

  it('writes runs of numbers as ranges', () => {
    expect(markerNumbers([3])).toBe('3');
    expect(markerNumbers([3, 4])).toBe('3+4');
    expect(markerNumbers([16, 17, 18])).toBe('16-18');
    expect(markerNumbers([2, 5, 6, 7, 9])).toBe('2+5-7+9');
  });

  it('never overlaps two texts on one row, however dense the markers (a long session on a laptop-wide chart)', () => {
    // 60 markers 3 to 9 pixels apart, the pattern of a learner changing the rate every few iterations.
    let at = 60;
    const markers = Array.from({ length: 60 }, (_, i) => ({ at: (at += 3 + ((i * 5) % 7)), label: label(i) }));
    const laid = layoutMarkers(markers, measure, 50, 1300);
    for (let row = 0; row < MARKER_ROWS; row++) {
      const spans = laid.filter((m) => m.row === row).map((m) => [m.at + 2, m.at + 2 + measure(m.text)]);
      for (let i = 1; i < spans.length; i++) expect(spans[i][0]).toBeGreaterThanOrEqual(spans[i - 1][1]);
    }
    expect(laid.every((m) => m.row === null || (m.row >= 0 && m.row < MARKER_ROWS))).toBe(true);
    // Every marker keeps its number on some line, in order.
    expect(laid.flatMap((m) => m.numbers)).toEqual(markers.map((_, i) => i + 1));
    // Some were too crowded for any row: their lines stay, unlabelled.
    expect(laid.some((m) => m.row === null)).toBe(true);
  });

  it('shares one line among markers closer than a reader can tell apart, and names them as a range when the text does not fit', () => {
    const markers = [100, 101, 103, 700].map((at, i) => ({ at, label: label(i) }));
    const laid = layoutMarkers(markers, measure, 50, 720);
    expect(laid.map((m) => m.numbers)).toEqual([[1, 2, 3], [4]]);
    expect(laid[0].text).toBe(`1-3 ${label(0)}; ${label(1)}; ${label(2)}`);
    expect(laid[1].text).toBe('4');
    expect(laid[0].row).toBe(0);
  });

  it('puts an event at iteration 0 on the axis and leaves out one beyond the plot', () => {
    const laid = layoutMarkers([{ at: 10, label: 'a' }, { at: 2000, label: 'b' }], measure, 50, 1300);
    expect(laid).toEqual([{ at: 50, numbers: [1], text: '1 a', row: 0 }]);
  });
});
