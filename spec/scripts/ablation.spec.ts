/**
 * `npm run ablation`: the table's arithmetic, the refusal of a folder that holds another run's metrics, and a
 * smoke run that trains once and, started again, trains nothing (a finished run is read, not repeated).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { AblationRun, VARIANTS, ablationTable, meanSd, readRun, testStandardError } from '../../scripts/ablation';
import { CLASS_NAMES, META_FILE, TEST_BATCH_FILE, TRAIN_BATCH_FILES, encodeRecords, formatClassNames } from '../../runtime/data/cifar10_format';
import { syntheticImages } from '../web/synthetic_cifar';

const ROOT = path.resolve(__dirname, '../..');
const run = (variant: string, seed: number, acc: number, flips: number | null = null, plain: number | null = null): AblationRun => ({
  variant,
  seed,
  test_acc: acc,
  test_acc_flips_only: flips,
  test_acc_without_tta: plain,
  epochs: 5,
  minutes: 12,
  dir: `runs/ablation/${variant}-seed${seed}`,
});

describe('npm run ablation', () => {
  it('computes the mean, the sample standard deviation and the test set standard error', () => {
    expect(meanSd([0.85, 0.86, 0.87])).toEqual({ mean: expect.closeTo(0.86, 12), sd: expect.closeTo(0.01, 12) });
    expect(meanSd([0.9]).sd).toBeNull();
    expect(testStandardError(0.85, 10000)).toBeCloseTo(0.00357, 5);
  });

  it("writes one row per variant in the recipe's order, and the recipe's own runs once more for test-time augmentation", () => {
    const table = ablationTable([run('lookahead', 0, 0.84), run('recipe', 0, 0.86, 0.855, 0.85), run('recipe', 1, 0.87, 0.865, 0.86), run('lookahead', 1, 0.83)], 10000);
    const rows = table.trim().split('\n').slice(2);
    expect(rows).toHaveLength(4);
    expect(rows[0]).toBe('| nothing (the recipe) | 2 | 86.50 | 0.71 | 0.34 | 86.00, 87.00 |');
    expect(rows[1]).toMatch(/^\| lookahead \(plain Nesterov SGD\) \| 2 \| 83\.50 \| 0\.71 \|/);
    expect(rows[2]).toMatch(/^\| test-time shifts .* \| 2 \| 86\.00 \|/);
    expect(rows[3]).toMatch(/^\| all test-time augmentation .* \| 2 \| 85\.50 \|/);
    expect(VARIANTS[0].flags).toEqual([]);
  });

  it("refuses a folder whose metrics are another run's, and reads nothing where a run has not finished", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs231n-ablation-'));
    try {
      expect(readRun(dir, 'recipe', 0)).toBeNull();
      fs.writeFileSync(path.join(dir, 'metrics.json'), JSON.stringify({ script: 'train', seed: 3, test_acc: 0.9 }));
      expect(() => readRun(dir, 'recipe', 0)).toThrow(/is not the metrics of a train run with seed 0/);
      fs.writeFileSync(path.join(dir, 'metrics.json'), '{"script": "train", ');
      expect(() => readRun(dir, 'recipe', 0)).toThrow(/is not valid JSON/);
      fs.writeFileSync(path.join(dir, 'metrics.json'), JSON.stringify({ script: 'train', seed: 0, test_acc: 0.9, test_acc_flips_only: 0.89 }));
      expect(readRun(dir, 'recipe', 0)).toMatchObject({ test_acc: 0.9, test_acc_flips_only: 0.89, test_acc_without_tta: null });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('trains each run once: started again, it reads the finished run instead of training it', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cs231n-ablation-run-'));
    const out = path.join(tmp, 'runs');
    // A tiny synthetic data set in the official format (CI has no CIFAR-10 when npm test runs): 20 records per file.
    const data = path.join(tmp, 'cifar');
    fs.mkdirSync(data);
    const { images, labels } = syntheticImages(20, 3);
    const order = Array.from({ length: 20 }, (_, i) => i);
    for (const file of [...TRAIN_BATCH_FILES, TEST_BATCH_FILE]) fs.writeFileSync(path.join(data, file), encodeRecords(images, labels, order));
    fs.writeFileSync(path.join(data, META_FILE), formatClassNames(CLASS_NAMES));
    const ablation = () =>
      spawnSync(path.join(ROOT, 'node_modules/.bin/tsx'), ['scripts/ablation.ts', '--quick', '--seeds', '1', '--only', 'whitening,alternating-flip', '--epochs', '1', '--out', out], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, CIFAR10_DIR: data, CIFAR10_RECORDS_PER_BATCH: 'any' },
        timeout: 300_000,
      });
    try {
      const first = ablation();
      expect(first.stderr).toContain('ablation: whitening, seed 0: tsx scripts/train.ts');
      expect(first.stderr).toContain('--no-whitening: the first layer keeps the plain 2x2 patch basis');
      expect(first.stderr).toContain('augmentation random flip + reflect-padded translation (2)');
      expect(first.status).toBe(0);
      const metrics = (variant: string) => JSON.parse(fs.readFileSync(path.join(out, `${variant}-seed0`, 'metrics.json'), 'utf8'));
      expect(metrics('whitening').config).toMatchObject({ whitening: false, alternating_flip: true, tta_shifts: true });
      expect(metrics('alternating-flip').config).toMatchObject({ whitening: true, alternating_flip: false });
      expect(typeof metrics('whitening').test_acc_flips_only).toBe('number');
      const second = ablation();
      expect(second.status).toBe(0);
      expect(second.stderr).not.toContain('tsx scripts/train.ts');
      expect(second.stdout).toMatch(/\| patch whitening .* \| 1 \|/);
      expect(fs.readFileSync(path.join(out, 'ablation.md'), 'utf8')).toMatch(/\| alternating flip .* \| 1 \|/);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }, 400_000);
});
