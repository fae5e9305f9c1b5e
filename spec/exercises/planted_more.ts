/**
 * More learners' mistakes, beyond planted.ts's one per exercise: each [exercise, file, solution text, what the
 * learner wrote instead, what the check must say]. ISSUE_PLANTS hold the mistakes whose hints once pointed the
 * wrong way, or that passed: each must now fail with a hint that names that mistake, or with no hint at all.
 */
import { Plant } from './planted';

export const ISSUE_PLANTS: Plant[] = [
  // The same first batchSize rows at every step: the loss still falls on easy data.
  ['linear_classifier_train', 'classifiers/linear_classifier.ts', 'const idx = rng.choice(numTrain, batchSize);', 'const idx = Int32Array.from({ length: batchSize }, (_, b) => b % numTrain);', /^FAILS minibatches: 1 different minibatch\(es\) in 150 steps/],
  ['svm_loss_naive', 'classifiers/linear_svm.ts', 'return averageWithL2(loss, dW, w, n, reg, [dim, numClasses]);', 'return averageWithL2(loss, dW.map((v) => v * n), w, n, reg, [dim, numClasses]);', /^FAILS dW: rel error .*hint: dW's data term is 8 times too large \(N = 8: a missing 1\/N\?\) \(dW's regulariser term: right\)/],
  ['svm_loss_vectorized', 'classifiers/linear_svm.ts', 'tf.mul(2 * reg, W)) as tf.Tensor2D;', 'tf.mul(reg, W)) as tf.Tensor2D;', /^FAILS dW: rel error .*hint: dW's regulariser term is 0\.5 times what it should be \(dW's data term: right\)/],
  ['softmax_loss_vectorized', 'classifiers/softmax.ts', 'const shifted = tf.sub(scores, tf.max(scores, 1, true));', 'const shifted = tf.sub(scores, tf.max(scores, 0, true));', /^FAILS loss: rel error .*hint: it matches scores shifted by each column's maximum/],
  ['two_layer_net_loss', 'classifiers/two_layer_net.ts', 'const g1 = affineReluBackward(g2.dx as tf.Tensor2D, hidden.cache);', 'const g1 = affineBackward(g2.dx as tf.Tensor2D, hidden.cache.affine);', /^FAILS grads\.W1: rel error [^;]*vs autodiff; hint: grads W2, b2 are right$/],
  ['affine_backward', 'layers/affine.ts', 'const dx = tf.reshape(tf.matMul(dout, tf.transpose(w)), x.shape);', 'const dx = tf.matMul(dout, tf.transpose(w));', /^FAILS dx \(x \[3, 2, 3, 2\]\): shape \[3,12\], expected \[3,2,3,2\] \(the right number of entries in another shape: reshape it to \[3,2,3,2\]\)/],
  ['batchnorm_forward', 'layers/batchnorm.ts', 'const variance = columnMean(tf.square(xc));', 'const variance = tf.div(tf.sum(tf.square(xc), 0), x.shape[0] - 1) as tf.Tensor1D;', /^FAILS out \(train\): rel error .*hint: it matches the unbiased variance \(divided by N - 1 = 5\)/],
  ['make_fooling_image', 'vis/fooling.ts', 'return tf.add(current, tf.mul(dX, scale)) as tf.Tensor4D;', 'return tf.sub(current, tf.mul(dX, scale)) as tf.Tensor4D;', /^FAILS iterations: .*hint: it matches steps that descend the target score/],
  // The "N times" reading of a loss whose regulariser is added in: the data term alone is N times too large.
  ['softmax_loss_naive', 'classifiers/softmax.ts', 'return averageWithL2(loss, dW, w, n, reg, [dim, numClasses]);', 'return averageWithL2(loss * n, dW, w, n, reg, [dim, numClasses]);', /^FAILS loss: rel error .*hint: it matches the data term summed over the batch, not averaged \(N = 8/],
];
export const OWN_PLANTS: Plant[] = [];
