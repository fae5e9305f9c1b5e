/**
 * The models network visualisation explains, loaded from checkpoints: every model the project trains and
 * checkpoints (FullyConnectedNet, ThreeLayerConvNet, ConvNet, ResNet, Airbench). Each returns the gradient of its class scores with
 * respect to its input images from its own hand-written backward pass (InputGradientModel.inputGradient), in
 * test mode, so saliency maps, fooling images and class visualisations treat them all alike.
 *
 * Usage:
 *   const model = loadVisModel('runs/train/checkpoints/ckpt_epoch_8.json');
 *   const best = bestCheckpoint('runs/train/checkpoints');   // the highest validation accuracy, or null
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ThreeLayerConvNet, ThreeLayerConvNetOptions } from '../src/classifiers/cnn';
import { FullyConnectedNet, FullyConnectedNetOptions } from '../src/classifiers/fc_net';
import { ConvNet, ConvNetOptions } from '../src/classifiers/convnet';
import { ResNet, ResNetOptions } from '../src/classifiers/resnet';
import { Airbench, AirbenchOptions } from '../src/classifiers/airbench';
import { CheckpointError, disposeCheckpoint, loadCheckpoint, restoreModel } from './checkpoint';
import type { InputGradientModel } from '../src/vis/saliency';

/** A model that network visualisation can explain. */
export type VisModel = (ThreeLayerConvNet | FullyConnectedNet | ConvNet | ResNet | Airbench) & InputGradientModel;

/** Each model kind (its class name, as checkpoints record it) and how to build an untrained one from its options. */
const BUILDERS: Record<string, (options: unknown) => VisModel> = {
  FullyConnectedNet: (o) => new FullyConnectedNet(o as FullyConnectedNetOptions),
  ThreeLayerConvNet: (o) => new ThreeLayerConvNet(o as ThreeLayerConvNetOptions),
  ConvNet: (o) => new ConvNet(o as ConvNetOptions),
  ResNet: (o) => new ResNet(o as ResNetOptions),
  Airbench: (o) => new Airbench(o as AirbenchOptions),
};

/** The model kinds loadVisModel accepts. */
export const VIS_MODEL_KINDS: readonly string[] = Object.keys(BUILDERS);

/**
 * Loads the model a checkpoint holds (its parameters and batchnorm running statistics; the optimizer state is not
 * needed). file: the manifest (.json) or its base path. Throws a CheckpointError for a checkpoint that loadCheckpoint
 * refuses, or one whose model kind is missing or not in VIS_MODEL_KINDS.
 */
export function loadVisModel(file: string): VisModel {
  const ckpt = loadCheckpoint(file);
  try {
    const spec = ckpt.model;
    const build = spec ? BUILDERS[spec.kind] : undefined;
    if (!spec || !build) {
      throw new CheckpointError(
        `loadVisModel: checkpoint ${ckpt.manifestPath} holds ${spec ? `a ${spec.kind}` : 'no model kind'}; ` +
          `network visualisation needs one of ${VIS_MODEL_KINDS.join(', ')} (saved with its kind and options, as the Solver does)`,
      );
    }
    const model = build(spec.options ?? {});
    try {
      restoreModel(ckpt, model, spec);
    } catch (err) {
      model.dispose();
      throw err;
    }
    return model;
  } finally {
    disposeCheckpoint(ckpt);
  }
}

/** A checkpoint found by bestCheckpoint: its manifest, epoch and the validation accuracy recorded at that epoch. */
export interface FoundCheckpoint {
  manifestPath: string;
  epoch: number;
  valAcc: number;
}

/**
 * The checkpoint of `dir` with the highest validation accuracy at its own epoch (the last entry of its accuracy
 * history: its parameters and batchnorm statistics are that epoch's), the later epoch on a tie. Only checkpoints
 * of a kind in VIS_MODEL_KINDS count. Checkpoints that do not load are skipped and passed to onSkip with the
 * reason. Returns null when dir does not exist or holds none.
 */
export function bestCheckpoint(dir: string, onSkip?: (manifestPath: string, reason: string) => void): FoundCheckpoint | null {
  if (!fs.existsSync(dir)) return null;
  let best: FoundCheckpoint | null = null;
  for (const name of fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const manifestPath = path.join(dir, name);
    let found: FoundCheckpoint;
    try {
      const ckpt = loadCheckpoint(manifestPath);
      disposeCheckpoint(ckpt);
      if (!ckpt.model || !VIS_MODEL_KINDS.includes(ckpt.model.kind)) continue;
      const valAcc = ckpt.valAccHistory.length > 0 ? ckpt.valAccHistory[ckpt.valAccHistory.length - 1] : -Infinity;
      found = { manifestPath, epoch: ckpt.epoch, valAcc };
    } catch (err) {
      onSkip?.(manifestPath, err instanceof Error ? err.message : String(err));
      continue;
    }
    if (!best || found.valAcc > best.valAcc || (found.valAcc === best.valAcc && found.epoch > best.epoch)) best = found;
  }
  return best;
}
