/**
 * Charts: the panel builders run in-process (plain data in, a vega-lite spec out); rendering runs in a child
 * process through tsx, because vega is ESM-only and ts-jest compiles `import('vega')` into a `require` that cannot
 * load it (see runtime/vis/chart.ts). The rendered PNGs are checked for size and for actually holding a drawing.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { colorScatterPanel, confusionMatrixPanel, linePanel, scatterWithErrorBarsPanel } from '../../runtime/vis/chart';

const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

type Row = { series: string; x: number; y: number; lo?: number; hi?: number };
type Encoding = { field?: string; scale?: { type?: string; domain?: string[] } };
type Layer = { transform: { filter: { oneOf: string[] } }[]; mark: { type: string }; encoding: Record<string, Encoding> };
function parts(spec: unknown): { rows: Row[]; layers: Layer[] } {
  const s = spec as { data: { values: Row[] }; layer: Layer[] };
  return { rows: s.data.values, layers: s.layer };
}

describe('linePanel', () => {
  it('keeps series order in the colour scale and draws each mark for the series that ask for it', () => {
    const panel = linePanel({
      title: 't',
      xLabel: 'x',
      yLabel: 'y',
      series: [
        { name: 'val', x: [1, 2], y: [0.2, 0.3], mark: 'points' },
        { name: 'train', x: [1, 2], y: [0.25, 0.4] },
        { name: 'mean', x: [1, 2], y: [0.3, 0.35], yStd: [0.01, 0.02], mark: 'line+points' },
      ],
    });
    expect(panel.width).toBe(640);
    expect(panel.height).toBe(400);
    const { rows, layers } = parts(panel.spec);
    const byMark = Object.fromEntries(layers.map((l) => [l.mark.type, l.transform[0].filter.oneOf]));
    expect(byMark).toEqual({ line: ['train', 'mean'], point: ['val', 'mean'], rule: ['mean'] });
    for (const l of layers) {
      if (l.encoding.color) expect(l.encoding.color.scale?.domain).toEqual(['val', 'train', 'mean']);
    }
    const mean = rows.filter((r) => r.series === 'mean');
    expect(mean.map((r) => [r.lo, r.hi])).toEqual([
      [0.3 - 0.01, 0.3 + 0.01],
      [0.35 - 0.02, 0.35 + 0.02],
    ]);
  });

  it('leaves out points an axis cannot show: non-finite values, and values <= 0 on a log axis', () => {
    const panel = linePanel({
      title: 't',
      xLabel: 'x',
      yLabel: 'y',
      logX: true,
      series: [{ name: 'a', x: [0, 1e-3, 1e-2, 1e-1, 1], y: [1, 2, NaN, Infinity, 5] }],
    });
    const { rows, layers } = parts(panel.spec);
    expect(rows.map((r) => r.x)).toEqual([1e-3, 1]);
    expect(layers[0].encoding.x.scale?.type).toBe('log');
    expect(layers[0].encoding.y.scale?.type).toBe('linear');
  });

  it('names the series and the lengths when x and y disagree, and rejects duplicate names', () => {
    const base = { title: 't', xLabel: 'x', yLabel: 'y' };
    expect(() => linePanel({ ...base, series: [{ name: 'loss', x: [1, 2, 3], y: [1, 2] }] })).toThrow(
      "linePanel: series 'loss': x has 3 values but y has 2",
    );
    const s = { name: 'a', x: [1], y: [1] };
    expect(() => linePanel({ ...base, series: [s, s] })).toThrow("series names must be unique, 'a' appears twice");
    expect(() => linePanel({ ...base, series: [] })).toThrow('at least one series');
  });

  it('builds the cross-validation plot from fold points and mean ± std', () => {
    const panel = scatterWithErrorBarsPanel({
      title: 'Cross-validation on k',
      xLabel: 'k',
      yLabel: 'accuracy',
      points: { x: [1, 1, 3, 3], y: [0.2, 0.3, 0.25, 0.27] },
      mean: { x: [1, 3], y: [0.25, 0.26], std: [0.05, 0.01] },
    });
    const { rows, layers } = parts(panel.spec);
    expect(rows.filter((r) => r.series === 'each fold')).toHaveLength(4);
    expect(rows.filter((r) => r.series === 'mean ± std').map((r) => r.hi)).toEqual([0.3, 0.27]);
    expect(layers.map((l) => l.mark.type).sort()).toEqual(['line', 'point', 'rule']);
  });

  it('colours a scatter by value and drops points it cannot place', () => {
    const panel = colorScatterPanel({
      title: 'search',
      xLabel: 'lr',
      yLabel: 'reg',
      colorLabel: 'val accuracy',
      x: [1e-7, 1e-6, -1],
      y: [1e4, 1e5, 1e4],
      value: [0.3, 0.35, 0.4],
      logX: true,
      logY: true,
    });
    const values = (panel.spec as { data: { values: { value: number }[] } }).data.values;
    expect(values.map((v) => v.value)).toEqual([0.3, 0.35]);
  });
});

describe('confusionMatrixPanel', () => {
  it('has a cell per (true, predicted) pair, shaded by its share of the row and labelled with its count', () => {
    const panel = confusionMatrixPanel({ counts: [[8, 2], [1, 3]], classNames: ['cat', 'dog'], title: 'test' });
    const rows = (panel.spec as unknown as { data: { values: { actual: string; predicted: string; count: number; share: number }[] } }).data.values;
    expect(rows).toEqual([
      { actual: 'cat', predicted: 'cat', count: 8, share: 0.8 },
      { actual: 'cat', predicted: 'dog', count: 2, share: 0.2 },
      { actual: 'dog', predicted: 'cat', count: 1, share: 0.25 },
      { actual: 'dog', predicted: 'dog', count: 3, share: 0.75 },
    ]);
  });

  it('refuses counts that are not K x K like the class names', () => {
    expect(() => confusionMatrixPanel({ counts: [[1, 2]], classNames: ['a', 'b'] })).toThrow('confusionMatrixPanel: counts must be 2 x 2 like classNames, got 1 rows of [2]');
  });
});

describe('chart rendering (child process through tsx)', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chart-spec-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes PNGs of the requested size that hold a drawing, and leaves no temporary file', async () => {
    const line = path.join(dir, 'line.png');
    const multi = path.join(dir, 'multi.png');
    const confusion = path.join(dir, 'confusion.png');
    const code = `
      import { confusionMatrixChart, lineChart, linePanel, multiChart } from './runtime/vis/chart';
      const it = Array.from({ length: 50 }, (_, i) => i);
      const opts = (w: number, h: number) => ({ title: 'Loss', xLabel: 'iteration', yLabel: 'loss', width: w, height: h,
        series: [{ name: 'train', x: it, y: it.map((i) => 2.3 / (1 + i)) }, { name: 'val', x: it, y: it.map((i) => 2.5 / (1 + i)) }] });
      (async () => {
        await lineChart(${JSON.stringify(line)}, opts(320, 240));
        await multiChart(${JSON.stringify(multi)}, [linePanel(opts(300, 200)), linePanel(opts(300, 200)), linePanel(opts(300, 200))], { columns: 2 });
        await confusionMatrixChart(${JSON.stringify(confusion)}, { counts: [[5, 1, 0], [2, 6, 1], [0, 0, 9]], classNames: ['a', 'b', 'c'], size: 200 });
      })().catch((e) => { console.error(e); process.exit(1); });`;
    execFileSync(TSX, ['-e', code], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60000 });

    const meta = await sharp(line).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 320, 240]);
    const stats = await sharp(line).stats();
    // White background with dark text and coloured lines: the channels span nearly the full range.
    expect(stats.channels[0].max).toBe(255);
    expect(stats.channels[0].min).toBeLessThan(80);

    const multiMeta = await sharp(multi).metadata();
    expect([multiMeta.format, multiMeta.width, multiMeta.height]).toEqual(['png', 600, 400]);
    const confusionMeta = await sharp(confusion).metadata();
    expect([confusionMeta.format, confusionMeta.width, confusionMeta.height]).toEqual(['png', 400, 330]);
    expect(fs.readdirSync(dir).sort()).toEqual(['confusion.png', 'line.png', 'multi.png']);
  });
});
