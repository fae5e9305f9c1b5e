/**
 * `npx tsc` is the project's TypeScript, not the 5.0 bundled with the notebook kernel (scripts/link-tsc.cjs, npm's
 * postinstall), and the relinking touches nothing but npm's own links: a user's file, a link out of node_modules
 * and a FIFO in their place are left as they were.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';

const ROOT = path.resolve(__dirname, '..');
const SCRIPT = path.join(ROOT, 'scripts', 'link-tsc.cjs');

describe('node_modules/.bin/tsc', () => {
  it("runs the project's TypeScript", () => {
    const want = (JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', 'typescript', 'package.json'), 'utf8')) as { version: string }).version;
    const got = execFileSync(path.join(ROOT, 'node_modules', '.bin', 'tsc'), ['--version'], { encoding: 'utf8' });
    expect(got.trim()).toBe(`Version ${want}`);
  });
});

describe('scripts/link-tsc.cjs', () => {
  let tmp: string;
  let bin: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cs231n-link-tsc-'));
    bin = path.join(tmp, 'node_modules', '.bin');
    fs.mkdirSync(path.join(tmp, 'scripts'));
    fs.mkdirSync(bin, { recursive: true });
    for (const pkg of ['typescript', 'other']) {
      fs.mkdirSync(path.join(tmp, 'node_modules', pkg, 'bin'), { recursive: true });
      for (const name of ['tsc', 'tsserver']) fs.writeFileSync(path.join(tmp, 'node_modules', pkg, 'bin', name), '');
    }
    fs.copyFileSync(SCRIPT, path.join(tmp, 'scripts', 'link-tsc.cjs'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const run = () => execFileSync(process.execPath, [path.join(tmp, 'scripts', 'link-tsc.cjs')], { encoding: 'utf8', timeout: 10_000 });

  it("points npm's links at another package to typescript's", () => {
    fs.symlinkSync('../other/bin/tsc', path.join(bin, 'tsc'));
    run();
    expect(fs.readlinkSync(path.join(bin, 'tsc'))).toBe(path.join('..', 'typescript', 'bin', 'tsc'));
    expect(fs.readlinkSync(path.join(bin, 'tsserver'))).toBe(path.join('..', 'typescript', 'bin', 'tsserver'));
  });

  it('leaves a regular file, a link out of node_modules and a FIFO as they were', () => {
    fs.writeFileSync(path.join(bin, 'tsc'), "the user's own\n");
    fs.symlinkSync(path.join(tmp, 'elsewhere'), path.join(bin, 'tsserver'));
    const out = run();
    expect(out).toMatch(/tsc: .* is not a link, left as it is/);
    expect(fs.readFileSync(path.join(bin, 'tsc'), 'utf8')).toBe("the user's own\n");
    expect(fs.readlinkSync(path.join(bin, 'tsserver'))).toBe(path.join(tmp, 'elsewhere'));
    fs.rmSync(path.join(bin, 'tsc'));
    execFileSync('mkfifo', [path.join(bin, 'tsc')]);
    run();
    expect(fs.lstatSync(path.join(bin, 'tsc')).isFIFO()).toBe(true);
  });

  it('changes nothing without typescript installed', () => {
    fs.rmSync(path.join(tmp, 'node_modules', 'typescript'), { recursive: true });
    fs.symlinkSync('../other/bin/tsc', path.join(bin, 'tsc'));
    expect(run()).toMatch(/no .*typescript.* left as it is/);
    expect(fs.readlinkSync(path.join(bin, 'tsc'))).toBe('../other/bin/tsc');
  });
});
