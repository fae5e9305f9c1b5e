/**
 * npm run bench: stdout carries JSON lines only, one per workload, with the keys bench/README.md lists; --only picks the
 * workloads; a bad name stops it before anything runs. The script runs through tsx as `npm run bench` does, with
 * BENCH_SCALE shrinking the inputs so that a run takes a second.
 */
import { median } from '../../bench/harness';
import { runScriptSync } from '../support/scripts';

function bench(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return runScriptSync('bench/bench.ts', args, { BENCH_SCALE: '0.01' });
}

describe('npm run bench', () => {
  it('prints one valid JSON line per workload of --only, and nothing else, on stdout', () => {
    const r = bench(['--only', 'svm.loss_grad,features.extract', '--backend', 'cpu']);
    expect(r.stderr).toContain('svm.loss_grad: warm-up');
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(2);
    const results = lines.map((l) => JSON.parse(l));
    expect(results.map((x) => x.name)).toEqual(['svm.loss_grad', 'features.extract']);
    expect(results.map((x) => x.runs)).toEqual([20, 3]);
    for (const x of results) {
      expect(Object.keys(x).slice(0, 4)).toEqual(['name', 'ms', 'runs', 'backend']);
      expect(x.backend).toBe('cpu');
      expect(Number.isFinite(x.ms) && x.ms > 0).toBe(true);
      expect(x.minMs).toBeLessThanOrEqual(x.ms);
      expect(x.maxMs).toBeGreaterThanOrEqual(x.ms);
      expect(x.rssPeakMB).toBeGreaterThan(0);
      expect(x.scale).toBe(0.01);
      expect(x.error).toBeUndefined();
    }
  });

  it('times resnet.step against the matMul ceiling in the same process, with the ratio and a kernel profile', () => {
    const r = bench(['--only', 'resnet.step', '--profile']);
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(1);
    const x = JSON.parse(lines[0]);
    expect(x.name).toBe('resnet.step');
    expect(x.ceiling).toBe('matMul 20^3');
    expect(x.gflops).toBeGreaterThan(0);
    expect(x.ceilingGflops).toBeGreaterThan(0);
    expect(x.ratio).toBeGreaterThan(0); // gflops / ceilingGflops before rounding (tiny at this scale)
    const kernels = x.profile.map((k: { kernel: string }) => k.kernel);
    expect(kernels).toContain('Conv2D');
    expect(kernels[kernels.length - 1]).toBe('(outside kernels)');
    const shares = x.profile.reduce((a: number, k: { share: number }) => a + k.share, 0);
    expect(shares).toBeGreaterThan(0.95);
    expect(shares).toBeLessThan(1.05);
    expect(r.stderr).toContain('| kernel | calls | ms | share |');
  });

  it('rejects an unknown workload name, listing the valid ones, with nothing on stdout', () => {
    const r = bench(['--only', 'svm.loss_grad,knn.dist']);
    expect(r.status).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain("--only takes names from knn.dists, svm.loss_grad");
    expect(r.stderr).toContain("got 'svm.loss_grad,knn.dist'");
  });
});

describe('median', () => {
  it('is the middle value, or the mean of the middle two, as numpy.median', () => {
    expect(median([30, 10, 20])).toBe(20);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });
});
