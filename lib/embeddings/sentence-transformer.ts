/**
 * A sentence-transformers-style embedding model: a BERT encoder, then pooling (mean by default),
 * optionally L2-normalised. `encode` batches texts sorted by length (as sentence-transformers does, so
 * padding stays short) and returns rows in the input order.
 */
import { tf } from "../engine";
import type { DenseMatrix } from "../util/matrix";
import { BertForSequenceClassification, type BertInputs, type BertModel } from "../models/bert";
import { AutoTokenizer, type HfTokenizer } from "../tokenizers/hf";
import type { HubDownloadOptions } from "../hub/download";
import { ProgressBar } from "../notebook/progress";
import { clsPooling, l2Normalize, maxPooling, meanPooling } from "./pooling";

export type PoolingMode = "mean" | "cls" | "max";

export interface SentenceTransformerOptions {
  pooling?: PoolingMode;
  /** L2-normalise every embedding (as models with a Normalize module do). */
  normalize?: boolean;
  /** Tokens per text, special tokens included (default: the encoder's max_position_embeddings). */
  maxSeqLength?: number;
}

export interface EncodeOptions {
  batchSize?: number;
  showProgressBar?: boolean;
  normalizeEmbeddings?: boolean;
}

export class SentenceTransformer {
  readonly pooling: PoolingMode;
  readonly normalize: boolean;
  readonly maxSeqLength: number;

  constructor(readonly encoder: BertModel, readonly tokenizer: HfTokenizer, opts: SentenceTransformerOptions = {}) {
    this.pooling = opts.pooling ?? "mean";
    this.normalize = opts.normalize ?? false;
    this.maxSeqLength = opts.maxSeqLength ?? encoder.config.max_position_embeddings;
    if (this.maxSeqLength > encoder.config.max_position_embeddings) {
      throw new Error(`SentenceTransformer: maxSeqLength ${this.maxSeqLength} exceeds the encoder's max_position_embeddings (${encoder.config.max_position_embeddings})`);
    }
  }

  /** Loads a BERT checkpoint folder (or hub id) and its tokenizer; any task head in the checkpoint is ignored. */
  static async fromPretrained(idOrPath: string, opts: SentenceTransformerOptions & HubDownloadOptions = {}): Promise<SentenceTransformer> {
    const tokenizer = await AutoTokenizer.fromPretrained(idOrPath, opts);
    const model = await BertForSequenceClassification.fromPretrained(idOrPath, {}, opts);
    return new SentenceTransformer(model.bert, tokenizer, opts);
  }

  /** Embedding dimension. */
  get dimension(): number {
    return this.encoder.config.hidden_size;
  }

  /**
   * Padded, truncated model inputs for a batch of texts (sentence-transformers' `tokenize`); the caller
   * disposes the tensors (or calls this inside tf.tidy).
   */
  tokenize(texts: string[]): BertInputs {
    const enc = this.tokenizer.call(texts, { padding: true, truncation: true, maxLength: this.maxSeqLength });
    return {
      inputIds: tf.tensor2d(enc.inputIds, undefined, "int32"),
      attentionMask: tf.tensor2d(enc.attentionMask, undefined, "int32"),
      tokenTypeIds: enc.tokenTypeIds ? tf.tensor2d(enc.tokenTypeIds, undefined, "int32") : undefined,
    };
  }

  /**
   * Pooled embeddings [batch, dimension] of tokenized inputs, differentiable: what the training losses
   * call (dropout follows the encoder's train/eval mode). Normalised when the model normalises.
   */
  forward(inputs: BertInputs): tf.Tensor2D {
    return tf.tidy(() => {
      const hidden = this.encoder.forward(inputs).lastHiddenState;
      const attentionMask = inputs.attentionMask ?? tf.onesLike(inputs.inputIds);
      const pooled = this.pooling === "cls" ? clsPooling(hidden) : this.pooling === "max" ? maxPooling(hidden, attentionMask) : meanPooling(hidden, attentionMask);
      return this.normalize ? l2Normalize(pooled) : pooled;
    });
  }

  /** One embedding per text, [texts.length, dimension]. */
  encode(texts: string[], opts: EncodeOptions = {}): DenseMatrix {
    if (!Array.isArray(texts) || texts.some((t) => typeof t !== "string")) throw new Error("SentenceTransformer.encode: texts must be an array of strings");
    const batchSize = opts.batchSize ?? 32;
    const dim = this.dimension;
    const out = new Float32Array(texts.length * dim);
    const order = texts.map((t, i) => i).sort((a, b) => texts[b].length - texts[a].length || a - b);
    const bar = opts.showProgressBar ? new ProgressBar({ total: Math.ceil(texts.length / batchSize), desc: "Batches" }) : null;
    const wasTraining = this.encoder.training;
    this.encoder.eval();
    try {
      for (let start = 0; start < order.length; start += batchSize) {
        const idx = order.slice(start, start + batchSize);
        const values = tf.tidy(() => {
          let pooled = this.forward(this.tokenize(idx.map((i) => texts[i])));
          if (opts.normalizeEmbeddings && !this.normalize) pooled = l2Normalize(pooled); // a Normalize module already did it
          return pooled.dataSync() as Float32Array;
        });
        idx.forEach((i, k) => out.set(values.subarray(k * dim, (k + 1) * dim), i * dim));
        bar?.update();
      }
    } finally {
      bar?.close();
      if (wasTraining) this.encoder.train();
    }
    return { rows: texts.length, cols: dim, data: out };
  }

  /** The topic pipeline's Embedder interface. */
  async embed(texts: string[]): Promise<DenseMatrix> {
    return this.encode(texts);
  }
}
