/**
 * The book's CLIP online: `openai/clip-vit-base-patch32` as ONNX (`Xenova/clip-vit-base-patch32`) through
 * `@huggingface/transformers`, with the text and vision towers loaded separately so that a notebook can
 * embed captions and images on their own, as the book's `get_text_features` / `get_image_features`.
 * Loaded lazily: offline runs never load ONNX Runtime.
 */
import { transformersJs } from "../hub/pipeline";

export interface HubClipOptions {
  /** Where downloads are cached (default $HOLLM_HF_CACHE or transformers.js' own folder). */
  cacheDir?: string;
  /** Another hub endpoint (default $HF_ENDPOINT). */
  endpoint?: string;
  device?: "cpu" | "webgpu";
}

/** A CLIP model from the hub: tokens, normalised text and image embeddings, and the learned scale. */
export interface HubClip {
  /** The CLIP BPE tokens of a text, with its start and end tokens (the book's `convert_ids_to_tokens`). */
  tokenize(text: string): string[];
  /** L2-normalised text embeddings [texts][projection_dim]. */
  embedTexts(texts: string[]): Promise<number[][]>;
  /** L2-normalised image embeddings of URLs or file paths. */
  embedImages(images: string[]): Promise<number[][]>;
  /** The processor's view of an image: the 224 x 224 normalised pixels' shape. */
  pixelShape(image: string): Promise<number[]>;
}

interface HfTensorLike {
  dims: number[];
  data: ArrayLike<number>;
}

function normalisedRows(t: HfTensorLike): number[][] {
  const [n, d] = t.dims;
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) {
    const row = Array.from({ length: d }, (_, k) => Number(t.data[i * d + k]));
    const norm = Math.sqrt(row.reduce((s, x) => s + x * x, 0)) || 1;
    rows.push(row.map((x) => x / norm));
  }
  return rows;
}

/** Loads CLIP's tokenizer, processor and both towers from the hub (default the book's ViT-B/32). */
export async function loadHubClip(model = "Xenova/clip-vit-base-patch32", opts: HubClipOptions = {}): Promise<HubClip> {
  const hf = transformersJs();
  const endpoint = opts.endpoint ?? process.env.HF_ENDPOINT;
  if (endpoint) hf.env.remoteHost = endpoint.endsWith("/") ? endpoint : `${endpoint}/`;
  const cacheDir = opts.cacheDir ?? process.env.HOLLM_HF_CACHE;
  if (cacheDir) hf.env.cacheDir = cacheDir;
  const device = opts.device ?? "cpu";
  // transformers.js' types for these classes are wide unions; the calls below are the documented ones.
  /* eslint-disable @typescript-eslint/no-explicit-any */
  const lib = hf as any;
  const tokenizer = await lib.AutoTokenizer.from_pretrained(model);
  const processor = await lib.AutoProcessor.from_pretrained(model);
  const textModel = await lib.CLIPTextModelWithProjection.from_pretrained(model, { device });
  const visionModel = await lib.CLIPVisionModelWithProjection.from_pretrained(model, { device });
  const readImages = (images: string[]) => Promise.all(images.map((src) => lib.RawImage.read(src)));
  return {
    tokenize(text: string): string[] {
      const ids: number[] = tokenizer.encode(text);
      return tokenizer.model.convert_ids_to_tokens(ids) as string[];
    },
    async embedTexts(texts: string[]): Promise<number[][]> {
      const inputs = tokenizer(texts, { padding: true, truncation: true });
      const { text_embeds } = await textModel(inputs);
      return normalisedRows(text_embeds as HfTensorLike);
    },
    async embedImages(images: string[]): Promise<number[][]> {
      const inputs = await processor(await readImages(images));
      const { image_embeds } = await visionModel(inputs);
      return normalisedRows(image_embeds as HfTensorLike);
    },
    async pixelShape(image: string): Promise<number[]> {
      const inputs = await processor(await readImages([image]));
      return (inputs.pixel_values as HfTensorLike).dims;
    },
  };
  /* eslint-enable @typescript-eslint/no-explicit-any */
}
