/**
 * Try your own image: the file is checked (type, size), shrunk to 32x32 by the browser, and sent to the model; its
 * five most probable classes and the top class's saliency are shown, and refreshed as the model trains.
 */
import type { PageState } from '../machine';
import { drawSaliency } from '../saliency';
import { byId, make, setText } from './dom';

/** Files larger than this are refused before decoding. */
export const MAX_UPLOAD_BYTES = 20 * 2 ** 20;

export const uploadUi = {
  input: byId<HTMLInputElement>('upload'),
  image: byId<HTMLCanvasElement>('upload-image'),
  saliency: byId<HTMLCanvasElement>('upload-saliency'),
  scores: byId<HTMLOListElement>('upload-scores'),
  caption: byId<HTMLElement>('upload-caption'),
};

/** Reads a chosen file into 32x32 RGB bytes (NHWC), or says in one line why it is refused. */
export async function readUpload(file: File): Promise<{ pixels: Uint8Array } | { refusal: string }> {
  if (!file.type.startsWith('image/')) return { refusal: `Refused ${file.name}: it is ${file.type || 'of unknown type'}, not an image (PNG, JPEG, GIF, WebP, BMP).` };
  if (file.size > MAX_UPLOAD_BYTES) {
    return { refusal: `Refused ${file.name}: ${(file.size / 2 ** 20).toFixed(1)} MiB, more than the ${MAX_UPLOAD_BYTES / 2 ** 20} MiB this page reads.` };
  }
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, { resizeWidth: 32, resizeHeight: 32, resizeQuality: 'high' });
  } catch (e) {
    return { refusal: `Refused ${file.name}: the browser could not decode it as an image (${(e as Error).message}).` };
  }
  const canvas = new OffscreenCanvas(32, 32);
  const ctx = canvas.getContext('2d');
  if (!ctx) return { refusal: `Refused ${file.name}: this browser gives no 2D canvas to shrink it on.` };
  ctx.drawImage(bitmap, 0, 0, 32, 32);
  bitmap.close();
  const rgba = ctx.getImageData(0, 0, 32, 32).data;
  const pixels = new Uint8Array(3072);
  for (let p = 0; p < 1024; p++) for (let c = 0; c < 3; c++) pixels[p * 3 + c] = rgba[p * 4 + c];
  return { pixels };
}

let drawnPixels: Uint8Array | null = null;
let drawnProbs: Float32Array | null = null;

export function renderUpload(s: PageState): void {
  const u = s.upload;
  const ui = uploadUi;
  ui.caption.classList.toggle('refused', !!u?.refusal);
  if (!u) return;
  if (u.refusal) {
    drawnPixels = null;
    drawnProbs = null;
    for (const c of [ui.image, ui.saliency]) c.getContext('2d')?.clearRect(0, 0, c.width, c.height);
    ui.scores.replaceChildren();
    setText(ui.caption, u.refusal);
    return;
  }
  if (u.pixels && u.pixels !== drawnPixels) {
    drawnPixels = u.pixels;
    const ctx = ui.image.getContext('2d');
    if (ctx) {
      const img = ctx.createImageData(32, 32);
      for (let p = 0; p < 1024; p++) {
        for (let c = 0; c < 3; c++) img.data[p * 4 + c] = u.pixels[p * 3 + c];
        img.data[p * 4 + 3] = 255;
      }
      ctx.putImageData(img, 0, 0);
    }
  }
  if (!u.probs || !u.saliency) {
    setText(ui.caption, `${u.name}, shrunk to 32x32: ${s.model || s.explore ? 'asking the model…' : 'the model answers once it is built.'}`);
    return;
  }
  if (u.probs === drawnProbs) return;
  drawnProbs = u.probs;
  const probs = u.probs;
  const order = Array.from(probs.keys()).sort((a, b) => probs[b] - probs[a]);
  ui.scores.replaceChildren(...order.slice(0, 5).map((j) => make('li', '', `${s.classNames[j]} ${(100 * probs[j]).toFixed(0)}%`)));
  const max = drawSaliency(ui.saliency, u.saliency);
  setText(
    ui.caption,
    `${u.name}: the model's most probable classes at iteration ${s.progress?.iteration ?? 0} (trained on ${s.numTrain} CIFAR-10 images, so expect it ` +
      `to be unsure; they follow the training), and the saliency of its top class, ${s.classNames[order[0]]} (white: ${max.toExponential(1)}).`,
  );
}
