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

/**
 * Thirty more mistakes a learner could make, none of them planted.ts's or ISSUE_PLANTS'. The message each must
 * give: a hint naming the mistake where the checker has evidence for it, else the tensor and case with no hint
 * (a guess would send the learner the wrong way).
 */
const NO_HINT = (tensor: string) => new RegExp(`^FAILS ${tensor.replace(/[()[\]]/g, (c) => `\\${c}`)}[^;]*$`);
export const OWN_PLANTS: Plant[] = [
  ['compute_distances_two_loops', 'classifiers/knn.ts', 'const diff = te[i * dim + d] - tr[j * dim + d];\n          sum += diff * diff;', 'const diff = te[i * dim + d] - tr[j * dim + d];\n          sum += Math.abs(diff);', /^FAILS dists: rel error/],
  ['compute_distances_no_loops', 'classifiers/knn.ts', 'return tf.sqrt(tf.relu(sq)) as tf.Tensor2D;', 'return tf.relu(sq) as tf.Tensor2D;', /^FAILS dists: rel error/],
  ['compute_distances_no_loops', 'classifiers/knn.ts', 'const trainSq = tf.sum(tf.square(Xtr), 1); // [Ntr]', 'const trainSq = tf.zeros([Xtr.shape[0]]); // [Ntr]', /hint: \|\|t\|\|\^2 term is missing/],
  ['compute_distances_no_loops', 'classifiers/knn.ts', 'return tf.sqrt(tf.relu(sq)) as tf.Tensor2D;', 'return tf.sqrt(sq) as tf.Tensor2D;', /^FAILS dists: (NaN where a test row equals a training row|\d+ NaN of 256 for \[16, 3072\] pixel rows, each test row within 0\.01 per pixel of a training row)/],
  ['svm_loss_naive', 'classifiers/linear_svm.ts', 'const margin = scores[j] - scores[yi] + 1;', 'const margin = scores[j] - scores[yi];', /^FAILS loss: rel error/],
  ['svm_loss_naive', 'classifiers/linear_svm.ts', 'return averageWithL2(loss, dW, w, n, reg, [dim, numClasses]);', 'return averageWithL2(loss, dW, w, n, 0, [dim, numClasses]);', /hint: it matches the loss without its regulariser/],
  ['svm_loss_vectorized', 'classifiers/linear_svm.ts', 'const regLoss = tf.mul(reg, tf.sum(tf.square(W)));', 'const regLoss = tf.mul(0.5 * reg, tf.sum(tf.square(W)));', /hint: it matches the regulariser at half strength/],
  ['svm_loss_vectorized', 'classifiers/linear_svm.ts', 'const dScores = tf.sub(violated, tf.mul(isCorrect, violations)); // [N, C]', 'const dScores = tf.sub(violated, isCorrect); // [N, C]', /^FAILS dW: rel error/],
  ['softmax_loss_naive', 'classifiers/softmax.ts', 'const dScore = p - (j === yi ? 1 : 0);', 'const dScore = p;', /^FAILS dW: rel error/],
  ['softmax_loss_vectorized', 'classifiers/softmax.ts', 'const grad = tf.add(tf.div(tf.matMul(tf.transpose(X), dScores), n), tf.mul(2 * reg, W)) as tf.Tensor2D;', 'const grad = tf.add(tf.matMul(tf.transpose(X), dScores), tf.mul(2 * reg, W)) as tf.Tensor2D;', /hint: dW's data term is 8 times too large/],
  ['softmax_loss_vectorized', 'classifiers/softmax.ts', 'const grad = tf.add(tf.div(tf.matMul(tf.transpose(X), dScores), n), tf.mul(2 * reg, W)) as tf.Tensor2D;', 'const grad = tf.sub(tf.div(tf.matMul(tf.transpose(X), dScores), n), tf.mul(2 * reg, W)) as tf.Tensor2D;', /hint: dW's regulariser term has the wrong sign/],
  ['linear_classifier_train', 'classifiers/linear_classifier.ts', 'const idx = rng.choice(numTrain, batchSize);', 'const idx = rng.choiceWithoutReplacement(numTrain, batchSize);', /^FAILS minibatches: no minibatch of 150 held a row twice/],
  ['linear_classifier_train', 'classifiers/linear_classifier.ts', 'for (let b = 0; b < batchSize; b++) yBatch[b] = labels[idx[b]];', 'for (let b = 0; b < batchSize; b++) yBatch[b] = labels[b];', /^FAILS minibatches: \d+ label\(s\) of yBatch were not those of XBatch's rows/],
  ['linear_classifier_train', 'classifiers/linear_classifier.ts', 'const idx = rng.choice(numTrain, batchSize);', 'const idx = rng.choice(Math.min(numTrain, 100), batchSize);', /^FAILS minibatches: 150 steps drew only \d+ of the 200 rows/],
  ['two_layer_net_loss', 'classifiers/two_layer_net.ts', 'W1: tf.add(g1.dw, tf.mul(reg, W1)),', 'W1: g1.dw,', /^FAILS grads\.W1: .*hint: its regulariser's term is missing \(its data term: right\); grads b1, W2, b2 are right/],
  ['two_layer_net_loss', 'classifiers/two_layer_net.ts', 'W2: tf.add(g2.dw, tf.mul(reg, W2)),', 'W2: tf.add(g2.dw, tf.mul(2 * reg, W2)),', /^FAILS grads\.W2: .*hint: its regulariser's term is 2 times what it should be/],
  ['affine_forward', 'layers/affine.ts', 'const out = tf.tidy(() => tf.add(tf.matMul(tf.reshape(x, [n, d]), w), b) as tf.Tensor2D);', 'const out = tf.tidy(() => tf.matMul(tf.reshape(x, [n, d]), w) as tf.Tensor2D);', /^FAILS out: rel error/],
  ['affine_backward', 'layers/affine.ts', 'const dw = tf.matMul(tf.transpose(xFlat), dout) as tf.Tensor2D;', 'const dw = tf.div(tf.matMul(tf.transpose(xFlat), dout), n) as tf.Tensor2D;', /hint: it is 1\/3 of the expected value/],
  ['relu_backward', 'layers/relu.ts', 'tf.mul(dout, tf.step(cache.x, 0))', 'tf.mul(dout, tf.step(dout, 0))', NO_HINT('dx (x [4, 5])')],
  ['softmax_loss', 'layers/softmax_loss.ts', 'const dscores = tf.div(tf.sub(tf.exp(logProbs), oneHot), n) as tf.Tensor2D;', 'const dscores = tf.div(tf.sub(oneHot, tf.exp(logProbs)), n) as tf.Tensor2D;', /hint: it is exactly minus the expected value/],
  ['svm_loss', 'layers/svm_loss.ts', 'const dscores = tf.div(tf.sub(positive, tf.mul(oneHot, numPositive)), n) as tf.Tensor2D;', 'const dscores = tf.sub(positive, tf.mul(oneHot, numPositive)) as tf.Tensor2D;', /hint: it is 5 times the expected value/],
  ['sgd_momentum', 'optim/sgd_momentum.ts', 'const next = tf.add(w, velocity);', 'const next = tf.sub(w, tf.mul(dw, learningRate));', /hint: it matches plain SGD: the velocity is not used/],
  ['rmsprop', 'optim/rmsprop.ts', 'const next = tf.sub(w, tf.div(tf.mul(dw, learningRate), tf.add(tf.sqrt(cache), epsilon)));', 'const next = tf.sub(w, tf.div(tf.mul(dw, learningRate), tf.add(tf.sqrt(old), epsilon)));', /hint: it matches a step with the old cache/],
  ['adam', 'optim/adam.ts', "const t = checkHyper('adam', 't', config.t ?? ADAM_DEFAULTS.t) + 1;", "const t = checkHyper('adam', 't', config.t ?? ADAM_DEFAULTS.t);", /^FAILS next_w/],
  ['batchnorm_forward', 'layers/batchnorm.ts', 'const std = tf.sqrt(tf.add(variance, eps)) as tf.Tensor1D;', 'const std = tf.add(tf.sqrt(variance), eps) as tf.Tensor1D;', /hint: it matches epsilon added outside the square root/],
  ['layernorm_forward', 'layers/layernorm.ts', 'const invStd = tf.rsqrt(tf.add(tf.mean(tf.square(xc), 1, true), eps)) as tf.Tensor2D;', 'const invStd = tf.rsqrt(tf.mean(tf.square(xc), 1, true)) as tf.Tensor2D;', /hint: it matches no epsilon/],
  ['layernorm_backward', 'layers/layernorm.ts', 'const dgamma = tf.sum(tf.mul(dout, xhat), 0) as tf.Tensor1D;', 'const dgamma = tf.sum(dout, 0) as tf.Tensor1D;', /^FAILS dgamma/],
  ['dropout_forward', 'layers/dropout.ts', 'const scale = 1 / p;', 'const scale = 1;', /^FAILS out \(train\)/],
  ['global_avg_pool', 'layers/global_avg_pool.ts', 'return { out: tf.mean(x, [1, 2]) as tf.Tensor2D, cache: { xShape: [N, H, W, C] } };', 'return { out: tf.sum(x, [1, 2]) as tf.Tensor2D, cache: { xShape: [N, H, W, C] } };', /hint: it is 12 times the expected value/],
  ['residual_block_backward', 'layers/residual.ts', 'const dx = cache.skip ? tf.add(dout, dBranch) : dBranch;', 'const dx = cache.skip ? dout : dBranch;', /^FAILS dx \(residual block\)/],
];
