/** Checks of A1 Q4 (two_layer_net): the net's loss and gradients, see models.ts. */
import { twoLayerNetLoss } from './models';

export const CHECKS: Record<string, () => void> = {
  two_layer_net_loss: twoLayerNetLoss,
};
