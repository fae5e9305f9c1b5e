/**
 * Which exercise a row of the gradient catalogue (reference/catalogue/) checks, for `npm run gradcheck --impl
 * exercises`: a failing row names the exercise to fix and its check. The rows not listed check library code that
 * is no exercise (the fast layers, the sandwich layers, the other models).
 */
import { workspaceDir } from './impl';
import { EXERCISES } from './manifest';
import { checkCommand } from './next_step';

const CASES: Record<string, string> = {
  affine: 'affine_backward',
  relu: 'relu_backward',
  'softmax loss': 'softmax_loss',
  'svm loss': 'svm_loss',
  'batchnorm (graph backward)': 'batchnorm_backward',
  'batchnorm (alt backward)': 'batchnorm_backward_alt',
  layernorm: 'layernorm_backward',
  'dropout (fixed seed, keep 0.6)': 'dropout_backward',
  'conv naive (stride 1, pad 1)': 'conv_backward_naive',
  'max pool naive (2x2, stride 2)': 'max_pool_backward_naive',
  'spatial batchnorm': 'spatial_batchnorm_backward',
  'spatial groupnorm (G=1)': 'spatial_groupnorm_backward',
  'spatial groupnorm (G=2)': 'spatial_groupnorm_backward',
  'spatial groupnorm (G=4)': 'spatial_groupnorm_backward',
  'global average pool': 'global_avg_pool',
  'softmax loss, label smoothing 0.2': 'smoothed_softmax_loss',
  'residual block': 'residual_block_backward',
  'residual block (no skip)': 'residual_block_backward',
  gelu: 'gelu_backward',
  'TwoLayerNet (reg 0.1)': 'two_layer_net_loss',
  'ThreeLayerConvNet (no batchnorm, reg 0.1)': 'three_layer_convnet_loss',
};

/** The catalogue's case names this table knows, for the spec that holds it to the catalogue. */
export const CATALOGUE_CASES: readonly string[] = Object.keys(CASES);

/**
 * One line naming the exercises to fix for these failing catalogue rows (by layer name), in course order, with
 * the command that checks them in workspace dir (default: the one --impl exercises uses); undefined when no row is
 * an exercise's.
 */
export function exercisesToFix(failedLayers: readonly string[], dir: string = workspaceDir()): string | undefined {
  const ids = new Set(failedLayers.map((l) => CASES[l]).filter((id): id is string => id !== undefined));
  if (ids.size === 0) return undefined;
  const ordered = EXERCISES.filter((e) => ids.has(e.id)).map((e) => e.id);
  return `your exercises to fix: ${ordered.join(', ')}; \`${checkCommand(dir, ordered)}\` says what is wrong`;
}
