/**
 * npm run gradcheck (scripts/gradcheck.ts): --json puts one JSON object per row on stdout and nothing else, with
 * its keys in a fixed order; the table names the backend and why it is cpu; a bad --only stops with the valid
 * names and a non-zero exit status. The script runs through tsx as `npm run gradcheck` does, on a few fast rows.
 */
import { runScriptSync } from '../support/scripts';

function gradcheck(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return runScriptSync('scripts/gradcheck.ts', args);
}

describe('npm run gradcheck', () => {
  it('--json: one JSON object per row on stdout and nothing else, with layer, param, both errors and pass', () => {
    const r = gradcheck(['--json', '--only', 'batchnorm (alt']);
    expect(r.stderr).toContain('backend: cpu');
    expect(r.status).toBe(0);
    const rows = r.stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l));
    expect(rows.map((x) => x.param)).toEqual(['dx', 'dgamma', 'dbeta']);
    for (const x of rows) {
      expect(Object.keys(x).slice(0, 5)).toEqual(['layer', 'param', 'relErrAutodiff', 'relErrNumeric', 'pass']);
      expect(x.layer).toBe('batchnorm (alt backward)');
      expect(x.relErrAutodiff).toBeLessThanOrEqual(1e-5);
      expect(x.relErrNumeric).toBeLessThanOrEqual(1e-2);
      expect(x.pass).toBe(true);
    }
  });

  it('table: says which backend and why, one line per gradient, and a summary', () => {
    const r = gradcheck(['--only', 'relu', '--seed', '5']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/seed 5, backend cpu \(the default: tf.grad through conv2d fails on wasm/);
    expect(r.stdout).toMatch(/^layer +param +shape +relErrAutodiff +max elem +relErrNumeric/m);
    for (const name of ['relu', 'affine-relu', 'conv-relu', 'conv-bn-relu', 'conv-relu-pool']) {
      expect(r.stdout).toMatch(new RegExp(`^${name} +dx +\\[`, 'm'));
    }
    expect(r.stdout).toMatch(/^18 rows, 0 failed; worst relErrAutodiff/m);
  });

  it('a name that matches nothing stops with the valid names and a non-zero exit status', () => {
    const r = gradcheck(['--only', 'no such layer']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("--only 'no such layer' matches no layer; names are: affine, relu");
    expect(r.stdout).toBe('');
  });
});
