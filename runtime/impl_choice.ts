/**
 * Which implementation a script runs on: `library` (src/) or `exercises` (the learner's workspace; learn/impl.ts).
 * The one list of allowed values, and the check every script makes of `--impl` and CS231N_IMPL before anything
 * else is loaded, so that a mistyped value is refused in one line instead of a stack trace from module loading.
 */
import { printable } from './printable';

/** The values `--impl` and CS231N_IMPL may take. */
export const IMPL_CHOICES = ['library', 'exercises'] as const;

export type ImplChoice = (typeof IMPL_CHOICES)[number];

/**
 * The refusal for a value of `--impl NAME` / `--impl=NAME` (or, without the flag, CS231N_IMPL) that is not one of
 * IMPL_CHOICES, in one line; null when the value is allowed or absent.
 */
export function implChoiceProblem(argv: readonly string[], env: NodeJS.ProcessEnv): string | null {
  let source = 'CS231N_IMPL';
  let value = env.CS231N_IMPL;
  argv.forEach((a, i) => {
    if (a === '--impl') [source, value] = ['--impl', argv[i + 1] ?? ''];
    else if (a.startsWith('--impl=')) [source, value] = ['--impl', a.slice('--impl='.length)];
  });
  if (value === undefined || (source === 'CS231N_IMPL' && value === '')) return null;
  if ((IMPL_CHOICES as readonly string[]).includes(value)) return null;
  return `error: ${source} must be one of ${IMPL_CHOICES.join(', ')}, got '${printable(value)}'`;
}
