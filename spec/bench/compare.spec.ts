/**
 * npm run bench-compare: ratios are taken within each round and their median reported; a side that fails leaves
 * a gap, not a wrong number; the script runs the project's bench and the peers round by round and writes its table.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RoundResult, compareMarkdown, compareRows } from '../../bench/compare_table';
import { PEER_UNSET_ENV, peerEnvironment } from '../../bench/peers';

const root = path.resolve(__dirname, '../..');

describe('compareRows', () => {
  const line = (round: number, side: RoundResult['side'], name: string, ms: number | null): RoundResult => ({ round, side, name, ms });

  it('takes project / numpy within each round and reports the median of those ratios', () => {
    // Round 2 ran on a machine 2x slower for both sides: its ratio is the same as round 1's.
    const rows = compareRows([
      line(1, 'project', 'svm.loss_grad', 10), line(1, 'numpy', 'svm.loss_grad', 8), line(1, 'torch', 'svm.loss_grad', 5),
      line(2, 'project', 'svm.loss_grad', 20), line(2, 'numpy', 'svm.loss_grad', 16), line(2, 'torch', 'svm.loss_grad', 20),
      line(3, 'project', 'svm.loss_grad', 9), line(3, 'numpy', 'svm.loss_grad', 10), line(3, 'torch', 'svm.loss_grad', 3),
    ]);
    expect(rows).toHaveLength(1);
    const r = rows[0];
    expect(r.numpyRatios).toEqual([1.25, 1.25, 0.9]);
    expect(r.numpyRatio).toBe(1.25);
    expect(r.numpyRatioMin).toBe(0.9);
    expect(r.numpyRatioMax).toBe(1.25);
    expect(r.projectMs).toBe(10);
    expect(r.numpyMs).toBe(10);
    expect(r.torchRatio).toBe(2); // 10/5, 20/20, 9/3
    expect(r.target).toBe(1.0);
    expect(r.met).toBe(false);
    expect(r.roundsMet).toBe(1);
  });

  it('leaves a round out of the ratios where a side has no time, and marks names without a target', () => {
    const rows = compareRows([
      line(1, 'project', 'knn.dists', 400), line(1, 'numpy', 'knn.dists', null),
      line(2, 'project', 'knn.dists', 380), line(2, 'numpy', 'knn.dists', 200),
      line(1, 'project', 'matmul.peak', 500),
    ]);
    const knn = rows.find((r) => r.name === 'knn.dists')!;
    expect(knn.numpyRatios).toEqual([1.9]);
    expect(knn.met).toBe(true);
    expect(knn.torchMs).toBeNull();
    expect(knn.torchRatio).toBeNull();
    const peak = rows.find((r) => r.name === 'matmul.peak')!;
    expect(peak.target).toBeNull();
    expect(peak.met).toBeNull();
    const md = compareMarkdown(rows);
    expect(md).toContain('| `knn.dists` | 390.0 | 200.0 | n/a | 1.90 | 1.90, 1.90 | ≤ 2.0 | yes (1 of 1) | n/a |');
    expect(md).toContain('| `matmul.peak` | 500.0 | n/a | n/a | n/a | n/a, n/a | - | - | n/a |');
  });
});

describe('npm run bench-compare', () => {
  it('runs each workload on the project and on the peers, round by round, and writes results.jsonl and table.md', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-compare-'));
    try {
      // Stand-in peers: Node runs these .py files as JavaScript when passed as --python. numpy answers 2 ms in
      // round order 1, 2, and reports the OpenBLAS variables it sees; torch fails, as a peer without PyTorch would.
      const peers = path.join(dir, 'peers');
      fs.mkdirSync(peers);
      fs.writeFileSync(
        path.join(peers, 'peer_numpy.py'),
        'const e = process.env;\n' +
          'for (const n of process.argv.slice(2)) console.log(JSON.stringify({ name: n, ms: 2, runs: 20, openblas: [e.OPENBLAS_CORETYPE ?? null, e.OPENBLAS_L2_SIZE ?? null] }));\n',
      );
      fs.writeFileSync(path.join(peers, 'peer_torch.py'), `console.error('No module named torch'); process.exit(1);\n`);
      const out = path.join(dir, 'out');
      const r = spawnSync(
        process.execPath,
        [require.resolve('tsx/cli'), path.join(root, 'bench', 'compare.ts'), '--rounds', '2', '--only', 'svm.loss_grad', '--peers', peers, '--python', process.execPath, '--out', out],
        { cwd: root, encoding: 'utf8', env: { ...process.env, BENCH_SCALE: '0.01', TFJS_BACKEND: 'cpu', OPENBLAS_CORETYPE: 'Haswell', OPENBLAS_L2_SIZE: '262144' }, timeout: 120000 },
      );
      expect(r.stderr).toContain('round 2/2 svm.loss_grad numpy: 2.0 ms');
      expect(r.stderr).toContain('torch svm.loss_grad: failed');
      expect(r.status).toBe(0);
      const lines = fs.readFileSync(path.join(out, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(lines.map((l) => `${l.round} ${l.side}`)).toEqual(['1 project', '1 numpy', '1 torch', '2 torch', '2 numpy', '2 project']);
      // The numpy peer ran without the OpenBLAS variables this process set.
      for (const l of lines.filter((x) => x.side === 'numpy')) expect(l.openblas).toEqual([null, null]);
      expect(r.stderr).toContain('OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for the peers');
      const project = lines.filter((l) => l.side === 'project');
      for (const p of project) expect(p.ms).toBeGreaterThan(0);
      const ratios = project.map((p) => p.ms / 2).sort((a, b) => a - b);
      const table = fs.readFileSync(path.join(out, 'table.md'), 'utf8');
      // The table's ratio comes from unrounded times, results.jsonl's from rounded ones: compare within a rounding step.
      const expected = (ratios[0] + ratios[1]) / 2;
      const cells = [...table.matchAll(/\| (\d+\.\d\d) \|/g)].map((m) => Number(m[1]));
      expect(Math.min(...cells.map((c) => Math.abs(c - expected)))).toBeLessThanOrEqual(0.0051);
      const met = ratios.filter((x) => x <= 1).length;
      expect(table).toContain(`| ${(ratios[0] + ratios[1]) / 2 <= 1 ? 'yes' : 'no'} (${met} of 2) |`);
      expect(r.stdout).toContain(table.trim());
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 150000);
});

describe('peerEnvironment', () => {
  it('removes OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE and keeps everything else', () => {
    const env = { OPENBLAS_CORETYPE: 'Haswell', OPENBLAS_L2_SIZE: '262144', OPENBLAS_NUM_THREADS: '1', PATH: '/usr/bin' };
    expect(peerEnvironment(env)).toEqual({ OPENBLAS_NUM_THREADS: '1', PATH: '/usr/bin' });
    expect(env.OPENBLAS_CORETYPE).toBe('Haswell');
    expect([...PEER_UNSET_ENV]).toEqual(['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE']);
  });
});

describe('npm run bench-compare without peers', () => {
  it('stops and says how to point it at them', () => {
    const r = spawnSync(process.execPath, [require.resolve('tsx/cli'), path.join(root, 'bench', 'compare.ts'), '--only', 'svm.loss_grad'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, BENCH_PEERS_DIR: '' },
      timeout: 60000,
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('pass --peers DIR or set BENCH_PEERS_DIR (see bench/README.md)');
  });
});
