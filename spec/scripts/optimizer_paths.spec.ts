/**
 * scripts/optimizer-paths.ts end to end, in a child process through tsx (its chart needs vega, which only loads
 * outside ts-jest; see runtime/vis/chart.ts). It needs no data. Besides the figure, this checks the numbers that
 * docs/optimizers.md reads off it: every rule's first step, and SGD's closed-form slow crawl along the valley.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';

const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

interface RulePath {
  w1: number[];
  w2: number[];
  loss: number[];
}

let outDir: string;
let metrics: { steps: number; start: number[]; rules: Record<string, RulePath> };
let stdout: string;

beforeAll(async () => {
  outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'optimizer-paths-'));
  stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      TSX,
      [path.join('scripts', 'optimizer-paths.ts'), '--out', outDir, '--no-progress'],
      { cwd: ROOT, env: { ...process.env, TFJS_BACKEND: 'wasm', TFJS_WASM_THREADS: '1' }, timeout: 120_000 },
      (err, out, stderr) => (err ? reject(new Error(`optimizer-paths failed: ${err.message}\n${stderr}`)) : resolve(out)),
    );
  });
  metrics = JSON.parse(fs.readFileSync(path.join(outDir, 'metrics.json'), 'utf8'));
}, 130_000);

afterAll(() => {
  fs.rmSync(outDir, { recursive: true, force: true });
});

describe('optimizer-paths script', () => {
  it('writes the figure as a PNG and prints every rule in its summary', async () => {
    const meta = await sharp(path.join(outDir, 'paths.png')).metadata();
    expect(meta.format).toBe('png');
    expect(meta.width).toBeGreaterThan(1000);
    for (const rule of ['sgd', 'sgd_momentum', 'rmsprop', 'adam']) expect(stdout).toContain(rule);
  });

  it('starts every rule at (-8, 2) and records every step', () => {
    expect(metrics.start).toEqual([-8, 2]);
    for (const p of Object.values(metrics.rules)) {
      expect([p.w1[0], p.w2[0]]).toEqual([-8, 2]);
      expect(p.w1).toHaveLength(metrics.steps + 1);
      expect(p.loss[metrics.steps]).toBeLessThan(p.loss[0] / 100);
    }
  });

  it("takes the first steps docs/optimizers.md works out: SGD's and momentum's -lr * g, RMSprop's 10 lr, Adam's lr", () => {
    // g = (1 * -8, 25 * 2) = (-8, 50) at the start.
    const first = (rule: string) => [metrics.rules[rule].w1[1], metrics.rules[rule].w2[1]];
    const near = (got: number[], want: number[]) => got.forEach((v, i) => expect(v).toBeCloseTo(want[i], 5));
    near(first('sgd'), [-8 + 0.07 * 8, 2 - 0.07 * 50]);
    near(first('sgd_momentum'), [-8 + 0.0175 * 8, 2 - 0.0175 * 50]);
    // RMSprop's cache starts at zero: sqrt(0.01 g^2) = 0.1 |g|, so the first step is lr / 0.1 = 3 per coordinate.
    near(first('rmsprop'), [-5, -1]);
    // Adam's bias-corrected first step is lr * sign(g) = 0.5 per coordinate.
    near(first('adam'), [-7.5, 1.5]);
  });

  it('shows SGD crawling along the flat direction by the factor 1 - lr = 0.93 per step', () => {
    const sgd = metrics.rules.sgd;
    expect(sgd.w1[metrics.steps]).toBeCloseTo(-8 * 0.93 ** metrics.steps, 3);
  });
});
