/**
 * The online path: the book's real models through `@huggingface/transformers` (ONNX Runtime), with
 * the device chosen safely — WebGPU when a GPU adapter exists, else CPU (never "auto": on Linux it
 * tries CUDA files that the offline install skips). Loaded lazily, so offline runs never load ONNX Runtime.
 */
import type * as Transformers from "@huggingface/transformers";
import { probeWebGpu } from "../engine/webgpu";

export interface HubPipelineOptions {
  dtype?: Transformers.PretrainedModelOptions["dtype"];
  device?: "cpu" | "webgpu";
  /** Where downloads are cached (default: transformers.js' own cache folder, or $HOLLM_HF_CACHE). */
  cacheDir?: string;
  /** Another hub endpoint, e.g. a mirror or a local test server ($HF_ENDPOINT is read too). */
  endpoint?: string;
}

/** The transformers.js module, loaded on first use. */
export function transformersJs(): typeof Transformers {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("@huggingface/transformers") as typeof Transformers;
}

/** `pipeline(task, model)` as in Python's transformers, downloading from the hub into a cache. */
export async function hubPipeline<T extends Transformers.PipelineType>(task: T, model: string, opts: HubPipelineOptions = {}) {
  const hf = transformersJs();
  const endpoint = opts.endpoint ?? process.env.HF_ENDPOINT;
  if (endpoint) hf.env.remoteHost = endpoint.endsWith("/") ? endpoint : `${endpoint}/`;
  const cacheDir = opts.cacheDir ?? process.env.HOLLM_HF_CACHE;
  if (cacheDir) hf.env.cacheDir = cacheDir;
  const device = opts.device ?? (await hasHardwareWebGpu() ? "webgpu" : "cpu");
  try {
    return await hf.pipeline(task, model, { dtype: opts.dtype, device });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`could not load '${model}' for ${task} from ${hf.env.remoteHost} (device ${device}): ${message}`);
  }
}

async function hasHardwareWebGpu(): Promise<boolean> {
  const probe = await probeWebGpu();
  return probe.adapter && !probe.fallback;
}

/**
 * A sentence embedder over a hub model through transformers.js' feature-extraction pipeline (mean
 * pooling, optionally normalised), e.g. the book's "thenlper/gte-small" or "all-MiniLM-L6-v2". Satisfies
 * the topic pipeline's Embedder interface.
 */
export async function hubEmbedder(model: string, opts: HubPipelineOptions & { pooling?: "mean" | "cls"; normalize?: boolean; batchSize?: number } = {}) {
  const extractor = await hubPipeline("feature-extraction", model, opts);
  const pooling = opts.pooling ?? "mean";
  const normalize = opts.normalize ?? true;
  const batchSize = opts.batchSize ?? 32;
  return {
    async embed(texts: string[]): Promise<{ rows: number; cols: number; data: Float32Array }> {
      const parts: Float32Array[] = [];
      let cols = 0;
      for (let i = 0; i < texts.length; i += batchSize) {
        const out = await extractor(texts.slice(i, i + batchSize), { pooling, normalize });
        cols = out.dims[1];
        parts.push(Float32Array.from(out.data as Float32Array));
      }
      const data = new Float32Array(texts.length * cols);
      let offset = 0;
      for (const p of parts) {
        data.set(p, offset);
        offset += p.length;
      }
      return { rows: texts.length, cols, data };
    },
    dispose: () => extractor.dispose(),
  };
}
