/** metrics.json and other files written atomically, and the summary table. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatSummary, formatValue, writeFileAtomic, writeMetrics } from '../../scripts/lib/run_dir';
import { failFs } from '../data/fixtures';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'run-dir-spec-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('writeMetrics', () => {
  it('writes pretty, valid JSON to <outDir>/metrics.json and leaves no temporary file', () => {
    const file = writeMetrics(dir, { seed: 0, valAccuracy: 0.274, history: [2.3, 2.1] });
    expect(file).toBe(path.join(dir, 'metrics.json'));
    const text = fs.readFileSync(file, 'utf8');
    expect(JSON.parse(text)).toEqual({ seed: 0, valAccuracy: 0.274, history: [2.3, 2.1] });
    expect(text).toContain('\n  "seed": 0,');
    expect(text.endsWith('}\n')).toBe(true);
    expect(fs.readdirSync(dir)).toEqual(['metrics.json']);
  });

  it('replaces an existing file whole', () => {
    writeMetrics(dir, { run: 1, long: 'x'.repeat(1000) });
    writeMetrics(dir, { run: 2 });
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'metrics.json'), 'utf8'))).toEqual({ run: 2 });
  });

  it('keeps a diverged NaN visible and writes typed arrays as arrays', () => {
    writeMetrics(dir, { loss: [1, NaN, Infinity], acc: new Float32Array([0.25, 0.5]) });
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'metrics.json'), 'utf8'))).toEqual({
      loss: [1, 'NaN', 'Infinity'],
      acc: [0.25, 0.5],
    });
  });
});

describe('writeFileAtomic', () => {
  it('creates missing parent folders', () => {
    const file = writeFileAtomic(path.join(dir, 'a', 'b', 'c.txt'), 'hi');
    expect(fs.readFileSync(file, 'utf8')).toBe('hi');
  });

  it('on a full disk names the file and the remedy, and keeps the old file whole', () => {
    const target = path.join(dir, 'metrics.json');
    fs.writeFileSync(target, '{"old": true}');
    const restore = failFs('writeFileSync', 'ENOSPC');
    try {
      expect(() => writeFileAtomic(target, '{"new": true}')).toThrow(
        `cannot write ${target}: no space left on device (ENOSPC); free some space and run it again; the previous metrics.json, if any, is unchanged`,
      );
    } finally {
      restore();
    }
    expect(fs.readFileSync(target, 'utf8')).toBe('{"old": true}');
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('removes its temporary file when the rename fails and keeps the target as it was', () => {
    const target = path.join(dir, 'occupied');
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, 'keep'), 'k');
    expect(() => writeFileAtomic(target, 'data')).toThrow();
    expect(fs.readdirSync(dir)).toEqual(['occupied']);
    expect(fs.readdirSync(target)).toEqual(['keep']);
  });
});

describe('summary table', () => {
  it('formats numbers to 4 significant digits and integers whole', () => {
    expect([0.274123, 2.302585, 1e-7, 12345.6, 1500, NaN].map(formatValue)).toEqual(['0.2741', '2.303', '1e-7', '12350', '1500', 'NaN']);
  });

  it('aligns a table of rows: numbers right, text left, a header and rule', () => {
    const text = formatSummary('kNN', [
      { k: 1, accuracy: 0.27412, note: 'best' },
      { k: 10, accuracy: 0.2 },
    ]);
    expect(text.split('\n')).toEqual([
      '== kNN ==',
      ' k  accuracy  note',
      '--  --------  ----',
      ' 1    0.2741  best',
      '10       0.2',
    ]);
  });

  it('prints a single record as key/value lines', () => {
    expect(formatSummary('final', { 'test accuracy': 0.28123, iters: 1500 }).split('\n')).toEqual([
      '== final ==',
      'test accuracy  0.2812',
      'iters            1500',
    ]);
  });
});
