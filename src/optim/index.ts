/**
 * The update rules by name, as the course's Solver looks them up (`getattr(optim, update_rule)`).
 *
 * Every rule has one signature: `(w, dw, config?) -> { next, config }`. It is pure: it returns a new parameter
 * and a new config (new state tensors), and disposes nothing; the caller owns both the old and the new tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { adam } from './adam';
import type { OptimConfig } from './config';
import { rmsprop } from './rmsprop';
import { sgd } from './sgd';
import { sgdMomentum } from './sgd_momentum';
import { sgdNesterov } from './sgd_nesterov';
import { withLookahead } from './lookahead';

export type { OptimConfig } from './config';
export { adam, ADAM_DEFAULTS, type AdamConfig } from './adam';
export { rmsprop, RMSPROP_DEFAULTS, type RmspropConfig } from './rmsprop';
export { sgd, SGD_DEFAULTS, type SgdConfig } from './sgd';
export { sgdMomentum, MOMENTUM_DEFAULTS, type MomentumConfig } from './sgd_momentum';
export { sgdNesterov, NESTEROV_DEFAULTS, type NesterovConfig } from './sgd_nesterov';
export { withLookahead, lookaheadDecay, lookaheadWeights, LOOKAHEAD_DEFAULTS, type LookaheadFields } from './lookahead';

/** Any update rule, seen through the config type shared by all. */
export type UpdateRule = (w: tf.Tensor, dw: tf.Tensor, config?: Partial<OptimConfig>) => { next: tf.Tensor; config: OptimConfig };

/** The course's names for the rules. */
export const UPDATE_RULE_NAMES = ['sgd', 'sgd_momentum', 'rmsprop', 'adam'] as const;
export type UpdateRuleName = (typeof UPDATE_RULE_NAMES)[number];

/** Rules beyond the course, for `npm run train`'s recipe: Nesterov momentum, alone and wrapped in lookahead. */
export const EXTRA_RULE_NAMES = ['sgd_nesterov', 'sgd_nesterov_lookahead'] as const;
export type ExtraRuleName = (typeof EXTRA_RULE_NAMES)[number];
/** Every rule a Solver (and a checkpoint) knows by name. */
export const ALL_RULE_NAMES = [...UPDATE_RULE_NAMES, ...EXTRA_RULE_NAMES] as const;
export type AnyRuleName = UpdateRuleName | ExtraRuleName;

/*
 * Each rule's own config type is narrower than OptimConfig (it names its fields), so a rule is not
 * assignable to UpdateRule as written; every rule ignores fields it does not know, which makes the widening safe.
 */
export const UPDATE_RULES: Record<UpdateRuleName, UpdateRule> = {
  sgd: sgd as UpdateRule,
  sgd_momentum: sgdMomentum as UpdateRule,
  rmsprop: rmsprop as UpdateRule,
  adam: adam as UpdateRule,
};

export const EXTRA_RULES: Record<ExtraRuleName, UpdateRule> = {
  sgd_nesterov: sgdNesterov as UpdateRule,
  sgd_nesterov_lookahead: withLookahead(sgdNesterov as UpdateRule),
};

/** The rule with the given name (a course rule or one beyond it); throws naming the known rules otherwise. */
export function getAnyRule(name: string): UpdateRule {
  if ((EXTRA_RULE_NAMES as readonly string[]).includes(name)) return EXTRA_RULES[name as ExtraRuleName];
  if ((UPDATE_RULE_NAMES as readonly string[]).includes(name)) return UPDATE_RULES[name as UpdateRuleName];
  throw new Error(`getAnyRule: unknown update rule '${name}'; choose one of ${ALL_RULE_NAMES.join(', ')}`);
}

/** The rule with the given course name; throws naming the known rules otherwise. */
export function getUpdateRule(name: string): UpdateRule {
  if ((UPDATE_RULE_NAMES as readonly string[]).includes(name)) return UPDATE_RULES[name as UpdateRuleName];
  throw new Error(`getUpdateRule: unknown update rule '${name}'; choose one of ${UPDATE_RULE_NAMES.join(', ')}`);
}
