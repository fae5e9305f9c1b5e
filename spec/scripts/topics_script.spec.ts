/**
 * `npm run topics -- --quick` end to end on a tiny synthetic CIFAR-10 folder (100 training images of random
 * pixels): exits 0, writes every figure (FIGURES) and metrics.json, whose circuit numbers are the lecture's,
 * whose receptive fields match the recurrence, and whose other numbers are in range (random pixels teach nothing;
 * the real numbers come from the default run).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeOfficialDir } from '../data/fixtures';
import { expectPngs, expectRunInfo, readMetrics, runQuick } from '../support/scripts';

const TIMEOUT_MS = 240_000;

/** Every PNG the script writes; the docs copy them into docs/figures/. */
const FIGURES = [
  'circuits.png',
  'preprocessing.png',
  'whitening.png',
  'update-ratio.png',
  'histograms.png',
  'minibatch-sgd.png',
  'receptive-field.png',
  'hyperparameter-search.png',
];

describe('scripts/topics.ts --quick', () => {
  let root: string;
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'topics-spec-'));
    writeOfficialDir(path.join(root, 'cifar'), 20);
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('draws every figure and records its numbers', async () => {
    const result = await runQuick('topics', path.join(root, 'cifar'), path.join(root, 'out'), TIMEOUT_MS);
    const metrics = readMetrics('topics', result);
    expectRunInfo(metrics, 'topics');
    await expectPngs(result.outDir, FIGURES);
    const circuits = metrics.circuits as Record<string, { value: Record<string, number>; grad: Record<string, number> }>;
    expect(circuits['f = 2 (x y + max(z, w))'].grad).toMatchObject({ x: -8, y: 6, z: 2, w: 0 });
    const prep = metrics.preprocessing as { images: number; eigenvalues: number[]; eigenvalue_spread: number; top3_variance_share: number };
    expect(prep.images).toBe(100);
    expect(prep.eigenvalues).toHaveLength(12);
    expect(prep.eigenvalue_spread).toBeGreaterThanOrEqual(1);
    expect(prep.top3_variance_share).toBeGreaterThan(0);
    expect(prep.top3_variance_share).toBeLessThanOrEqual(1);
    const baby = metrics.babysitting as {
      iterations: number;
      median_ratio: Record<string, Record<string, number>>;
      histograms: Record<'step0' | 'end', { activation_zero_share: Record<string, number>; grad_median_abs: Record<string, number> }>;
    };
    expect(baby.iterations).toBe(50);
    expect(Object.keys(baby.median_ratio)).toEqual(['lr_1e-4', 'lr_1e-3', 'lr_1e-2']);
    // The step grows with the learning rate: W1's ratio at 1e-2 is larger than at 1e-4.
    expect(baby.median_ratio['lr_1e-2'].W1).toBeGreaterThan(baby.median_ratio['lr_1e-4'].W1);
    expect(result.stdout).toContain('== median update / weight ratio');

    for (const when of ['step0', 'end'] as const) {
      expect(Object.keys(baby.histograms[when].activation_zero_share)).toEqual(['h1', 'h2']);
      expect(Object.keys(baby.histograms[when].grad_median_abs)).toEqual(['W1', 'W2', 'W3']);
    }

    const sgd = metrics.minibatch_sgd as { steps: number; final_train_loss: Record<string, number>; noise_rms: Record<string, number> };
    expect(sgd.steps).toBe(20);
    expect(Object.keys(sgd.final_train_loss)).toEqual(['b10', 'b100', 'b1000']);
    // A minibatch of 10 estimates the training loss less well than one of 1000.
    expect(sgd.noise_rms.b10).toBeGreaterThan(sgd.noise_rms.b1000);

    const rf = metrics.receptive_fields as { stacks: Record<string, { side: number; formula: number }> };
    expect(Object.keys(rf.stacks)).toEqual(['conv7', 'conv7_pool', 'conv3', 'conv3x2', 'conv3x3', 'conv3_pool_conv3x2']);
    for (const [key, { side, formula }] of Object.entries(rf.stacks)) expect([key, side]).toEqual([key, formula]);
    expect(rf.stacks.conv3_pool_conv3x2.side).toBe(12);

    const search = metrics.hyperparameter_search as { distinct_learning_rates: Record<string, number>; best_val_acc: Record<string, number>; trials: Record<string, unknown[]> };
    expect(search.distinct_learning_rates).toEqual({ grid: 3, random: 9 });
    for (const stage of ['grid', 'random', 'fine']) {
      expect(search.trials[stage]).toHaveLength(9);
      expect(search.best_val_acc[stage]).toBeGreaterThanOrEqual(0);
      expect(search.best_val_acc[stage]).toBeLessThanOrEqual(1);
    }
  }, TIMEOUT_MS);
});
