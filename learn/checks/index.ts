/**
 * An exercise's check: the function its notebook's file of learn/checks/ holds under its id. Loaded on demand,
 * inside the worker that checks the exercise (learn/check_worker.ts), after the workspace redirect is in place, so
 * that the check's imports of src/ reach the learner's files.
 */
import type { Exercise } from '../manifest';

/** Throws when the exercise is wrong; returns nothing, or a note for its pass line (a right answer that is too slow). */
export type Check = () => void | string | undefined;

/** The check of an exercise; throws when its file has none (a manifest and a check file that disagree). */
export function checkOf(exercise: Exercise): Check {
  const mod = require(`./${exercise.checks}`) as { CHECKS: Record<string, Check> };
  const check = mod.CHECKS[exercise.id];
  if (!check) throw new Error(`learn/checks/${exercise.checks}.ts has no check for ${exercise.id}`);
  return check;
}
