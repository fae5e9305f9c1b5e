/**
 * npm runs a dependency's install script only when package.json's allowScripts says so, and warns on `npm ci` for
 * every one it does not cover. Each package of the lock file that has an install script needs an entry (true: run
 * it, false: not), and README.md says why for each.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const read = (f: string): string => fs.readFileSync(path.join(ROOT, f), 'utf8');

describe('allowScripts', () => {
  const pkg = JSON.parse(read('package.json')) as { allowScripts?: Record<string, boolean> };
  const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { hasInstallScript?: boolean }> };
  // The entry '' is the project itself: its own postinstall (scripts/link-tsc.cjs) is not a dependency's script.
  const withScripts = Object.entries(lock.packages)
    .filter(([key, p]) => key !== '' && p.hasInstallScript)
    .map(([key]) => key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length));

  it('decides every install script of the lock file', () => {
    expect(withScripts.length).toBeGreaterThan(0);
    expect(withScripts.filter((name) => typeof pkg.allowScripts?.[name] !== 'boolean')).toEqual([]);
  });

  it('says why in README.md, for each', () => {
    const readme = read('README.md');
    expect(withScripts.filter((name) => !readme.includes(`\`${name}\``))).toEqual([]);
  });
});
