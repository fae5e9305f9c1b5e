/**
 * `npm run topics -- --quick` end to end on a tiny synthetic CIFAR-10 folder (100 training images of random
 * pixels): exits 0, writes its four figures and metrics.json, whose circuit numbers are the lecture's and whose
 * other numbers are in range (random pixels teach nothing; the real numbers come from the default run).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeOfficialDir } from '../data/fixtures';
import { expectPngs, expectRunInfo, readMetrics, runQuick } from '../support/scripts';

const TIMEOUT_MS = 240_000;

describe('scripts/topics.ts --quick', () => {
  let root: string;
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'topics-spec-'));
    writeOfficialDir(path.join(root, 'cifar'), 20);
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('draws the circuits, preprocessing, whitening filters and update ratios, and records their numbers', async () => {
    const result = await runQuick('topics', path.join(root, 'cifar'), path.join(root, 'out'), TIMEOUT_MS);
    const metrics = readMetrics('topics', result);
    expectRunInfo(metrics, 'topics');
    await expectPngs(result.outDir, ['circuits.png', 'preprocessing.png', 'whitening.png', 'update-ratio.png']);
    const circuits = metrics.circuits as Record<string, { value: Record<string, number>; grad: Record<string, number> }>;
    expect(circuits['f = 2 (x y + max(z, w))'].grad).toMatchObject({ x: -8, y: 6, z: 2, w: 0 });
    const prep = metrics.preprocessing as { images: number; eigenvalues: number[]; eigenvalue_spread: number; top3_variance_share: number };
    expect(prep.images).toBe(100);
    expect(prep.eigenvalues).toHaveLength(12);
    expect(prep.eigenvalue_spread).toBeGreaterThanOrEqual(1);
    expect(prep.top3_variance_share).toBeGreaterThan(0);
    expect(prep.top3_variance_share).toBeLessThanOrEqual(1);
    const baby = metrics.babysitting as { iterations: number; median_ratio: Record<string, Record<string, number>> };
    expect(baby.iterations).toBe(50);
    expect(Object.keys(baby.median_ratio)).toEqual(['lr_1e-4', 'lr_1e-3', 'lr_1e-2']);
    // The step grows with the learning rate: W1's ratio at 1e-2 is larger than at 1e-4.
    expect(baby.median_ratio['lr_1e-2'].W1).toBeGreaterThan(baby.median_ratio['lr_1e-4'].W1);
    expect(result.stdout).toContain('== median update / weight ratio');
  }, TIMEOUT_MS);
});
