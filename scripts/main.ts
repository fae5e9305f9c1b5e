/**
 * npm start [-- <two-layer-net flags>]
 *
 * The main job: make sure CIFAR-10 is there (download it when missing, as `npm run get-data` does), then train the
 * course's two-layer net on it and report, writing runs/start/. Flags after `--` go to the two-layer-net script
 * (e.g. `npm start -- --quick`). With CIFAR10_DIR set, the data are read from there and nothing is downloaded.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..');
const tsxCli = require.resolve('tsx/cli');

function run(script: string, args: string[]): void {
  const r = spawnSync(process.execPath, [tsxCli, path.join(root, 'scripts', script), ...args], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) {
    console.error(`npm start: ${script} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status ?? 1);
  }
}

const args = process.argv.slice(2);
if (!process.env.CIFAR10_DIR) run('get-data.ts', []);
run('two-layer-net.ts', args.includes('--out') ? args : ['--out', path.join(root, 'runs', 'start'), ...args]);
