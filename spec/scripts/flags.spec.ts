/**
 * Every script validates the same flags the same way, through the shared parsers of scripts/lib/cli.ts: a
 * learning rate must be positive, a seed an integer from 0 to 2^32 - 1, a backend one of the list, and --impl one
 * of IMPLS, each refused in one line before any work starts. The scripts run as `npm run` runs them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseIntegerIn, parseNonNegativeNumber, parseNumber, parseNumberIn, parsePositiveNumber } from '../../scripts/lib/cli';
import { ROOT, runScriptSync } from '../support/scripts';

/** The last non-empty lines of a stream, for "one line, no stack trace". */
function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

describe('shared flag parsers', () => {
  it('refuse numbers out of range, naming the flag, the range and the value', () => {
    expect(parsePositiveNumber('--lr')('1e-3')).toBe(0.001);
    expect(() => parsePositiveNumber('--lr')('-1')).toThrow("--lr must be a number > 0, got '-1'");
    expect(() => parsePositiveNumber('--lr')('0')).toThrow("--lr must be a number > 0, got '0'");
    expect(() => parsePositiveNumber('--lr')('fast')).toThrow("--lr must be a number > 0, got 'fast'");
    expect(parseNonNegativeNumber('--reg')('0')).toBe(0);
    expect(() => parseNonNegativeNumber('--reg')('-1e-4')).toThrow("--reg must be a number >= 0, got '-1e-4'");
    expect(() => parseNumberIn('--warmup', 0, 1, 'max')('1')).toThrow("--warmup must be a number >= 0 and < 1, got '1'");
    expect(() => parseIntegerIn('--port', 0, 65535)('70000')).toThrow("--port must be an integer from 0 to 65535, got '70000'");
  });

  it('read numbers in decimal only: 0x10, 0b11 and 0o7 are no learning rates', () => {
    for (const v of ['0x10', '0b11', '0o7', ' 0X1f ']) {
      expect(() => parsePositiveNumber('--lr')(v)).toThrow(`--lr must be a number > 0, got '${v}'`);
      expect(() => parseNumber('--lr')(v)).toThrow(`--lr must be a decimal number (like 0.001 or 1e-3), got '${v}'`);
    }
    for (const [v, n] of [['16', 16], ['.5', 0.5], ['2E-3', 0.002], ['+1.', 1]] as const) expect(parseNumber('--lr')(v)).toBe(n);
  });

});

describe('every script uses the shared parser for the shared flags', () => {
  /** Which parser each shared flag must go through, by the flag's name. */
  const RULES: [RegExp, RegExp][] = [
    [/^--seed$/, /^parseSeed\('--seed'\)$/],
    [/(^--|-)lr$/, /^parsePositiveNumber\('--[a-z-]*lr'\)$/],
    [/^--reg$/, /^parseNonNegativeNumber\('--reg'\)$/],
    [/^--backend$/, /^parseScriptBackend$/],
  ];
  const files = ['scripts', 'bench', 'scripts/lib'].flatMap((d) =>
    fs
      .readdirSync(path.join(ROOT, d))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => path.join(d, f)),
  );

  it('finds the flags it checks', () => {
    const all = files.flatMap((f) => flagsOf(fs.readFileSync(path.join(ROOT, f), 'utf8')).map((x) => x.flag));
    expect(all).toEqual(expect.arrayContaining(['--seed', '--lr', '--best-lr', '--reg', '--backend']));
  });

  it.each(files)('%s', (file) => {
    for (const { flag, parser } of flagsOf(fs.readFileSync(path.join(ROOT, file), 'utf8'))) {
      const rule = RULES.find(([name]) => name.test(flag));
      if (rule === undefined) continue;
      expect(`${flag} -> ${parser}`).toMatch(new RegExp(`^${flag} -> ${rule[1].source.slice(1)}`));
    }
  });
});

/** Each `.option('--flag <v>', 'text', parser...)` and `new Option('--flag').argParser(parser)` of a source file. */
function flagsOf(source: string): { flag: string; parser: string }[] {
  const found: { flag: string; parser: string }[] = [];
  const option = /\.option\(\s*'(--[a-z-]+)(?: <[^>]+>)?',\s*(?:'(?:[^'\\]|\\.)*'|`[^`]*`|"[^"]*")\s*,\s*([A-Za-z]+(?:\('[^']*'(?:, [^)]*)?\))?)/g;
  for (const m of source.matchAll(option)) found.push({ flag: m[1], parser: m[2] });
  const addOption = /new Option\('(--[a-z-]+)[^']*',[^)]*\)\s*\.argParser\(\s*([A-Za-z]+)/gs;
  for (const m of source.matchAll(addOption)) found.push({ flag: m[1], parser: m[2] });
  return found;
}

describe('scripts refuse a bad flag in one line, before any work', () => {
  it('convnet --lr -1', () => {
    const r = runScriptSync('scripts/convnet.ts', ['--lr', '-1', '--out', '/nonexistent-never-created']);
    expect(r.status).toBe(1);
    expect(lines(r.stderr)).toEqual([
      "error: option '--lr <x>' argument '-1' is invalid. --lr must be a number > 0, got '-1'",
      '(run with --help for usage)',
    ]);
  });

  it('gradcheck --seed -5', () => {
    const r = runScriptSync('scripts/gradcheck.ts', ['--seed', '-5']);
    expect(r.status).toBe(1);
    expect(lines(r.stderr)).toEqual([
      "error: option '--seed <n>' argument '-5' is invalid. --seed must be an integer from 0 to 4294967295, got '-5'",
      '(run with --help for usage)',
    ]);
    expect(r.stdout).toBe('');
  });

  it('--impl foo', () => {
    const r = runScriptSync('scripts/convnet.ts', ['--impl', 'foo']);
    expect(r.status).toBe(1);
    expect(lines(r.stderr)).toEqual(["error: option '--impl <which>' argument 'foo' is invalid. Allowed choices are library, exercises.", '(run with --help for usage)']);
  });

  it('CS231N_IMPL=lib', () => {
    const r = runScriptSync('scripts/convnet.ts', [], { CS231N_IMPL: 'lib' });
    expect(r.status).toBe(1);
    expect(lines(r.stderr)).toEqual(["error: option '--impl <which>' value 'lib' from env 'CS231N_IMPL' is invalid. Allowed choices are library, exercises.", '(run with --help for usage)']);
  });
});
