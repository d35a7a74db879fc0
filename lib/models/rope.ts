/**
 * Rotary position embeddings (RoPE) and the context-extension variants HF's `modeling_rope_utils.py`
 * names in `config.rope_scaling`: "linear" (positions divided by a factor), "dynamic" (NTK-aware base
 * growth past the trained context), "llama3" (Llama 3.1's per-frequency smoothing) and "longrope"
 * (Phi-3's per-dimension short/long factors; older configs call it "su"). Each variant only changes the
 * inverse frequencies and a scale on cos/sin, so one function computes those and one applies them.
 */
import * as tf from "@tensorflow/tfjs-core";

/** `config.rope_scaling` as HF writes it (`type` in older configs, `rope_type` in newer). */
export interface RopeScaling {
  rope_type?: string;
  type?: string;
  factor?: number;
  low_freq_factor?: number;
  high_freq_factor?: number;
  original_max_position_embeddings?: number;
  short_factor?: number[];
  long_factor?: number[];
  attention_factor?: number;
}

export type RopeType = "default" | "linear" | "dynamic" | "llama3" | "longrope";

/** What the rotary embedding needs from a model config. */
export interface RopeParams {
  /** The rotated dimension: the head dimension. */
  dim: number;
  theta: number;
  maxPositionEmbeddings: number;
  /** The trained context before extension (Phi-3's top-level `original_max_position_embeddings`). */
  originalMaxPositionEmbeddings?: number | null;
  scaling?: RopeScaling | null;
}

/** The variant a `rope_scaling` block asks for ("su" is longrope's old name). */
export function ropeType(scaling: RopeScaling | null | undefined): RopeType {
  const name = scaling ? scaling.rope_type ?? scaling.type ?? "default" : "default";
  if (name === "su") return "longrope";
  if (["default", "linear", "dynamic", "llama3", "longrope"].includes(name)) return name as RopeType;
  throw new Error(`rope_scaling type '${name}' is not supported (supported: default, linear, dynamic, llama3, longrope/su)`);
}

/** Problems with a RoPE setup, as messages naming the config field (empty when valid). */
export function ropeProblems(p: RopeParams): string[] {
  const problems: string[] = [];
  let type: RopeType;
  try {
    type = ropeType(p.scaling);
  } catch (e) {
    return [(e as Error).message];
  }
  const s = p.scaling ?? {};
  const positive = (v: unknown) => typeof v === "number" && Number.isFinite(v) && v > 0;
  if ((type === "linear" || type === "dynamic" || type === "llama3") && !positive(s.factor)) {
    problems.push(`rope_scaling.factor must be a positive number for '${type}', got ${JSON.stringify(s.factor)}`);
  }
  if (type === "llama3") {
    if (!positive(s.low_freq_factor) || !positive(s.high_freq_factor) || s.high_freq_factor! <= s.low_freq_factor!) {
      problems.push("rope_scaling for 'llama3' needs 0 < low_freq_factor < high_freq_factor");
    }
    if (!positive(s.original_max_position_embeddings)) problems.push("rope_scaling.original_max_position_embeddings must be a positive number for 'llama3'");
  }
  if (type === "longrope") {
    for (const key of ["short_factor", "long_factor"] as const) {
      const f = s[key];
      if (!Array.isArray(f) || f.length !== p.dim / 2 || !f.every(positive)) {
        problems.push(`rope_scaling.${key} must list ${p.dim / 2} positive numbers (head_dim / 2), got ${Array.isArray(f) ? `${f.length} values` : JSON.stringify(f)}`);
      }
    }
  }
  return problems;
}

/** Whether the frequencies depend on the sequence length (then callers pass `seqLen`). */
export function ropeDependsOnLength(p: RopeParams): boolean {
  const type = ropeType(p.scaling);
  return type === "dynamic" || type === "longrope";
}

/**
 * The inverse frequencies (one per dimension pair) and the cos/sin scale for sequences of `seqLen`
 * positions (HF: max(position_ids) + 1), as `ROPE_INIT_FUNCTIONS[rope_type]` computes them.
 */
export function ropeFrequencies(p: RopeParams, seqLen = 0): { invFreq: Float64Array; attentionScaling: number } {
  const type = ropeType(p.scaling);
  const s = p.scaling ?? {};
  const half = p.dim / 2;
  const base = (theta: number) => Float64Array.from({ length: half }, (_, i) => 1 / theta ** ((2 * i) / p.dim));
  switch (type) {
    case "default":
      return { invFreq: base(p.theta), attentionScaling: 1 };
    case "linear":
      return { invFreq: base(p.theta).map((f) => f / s.factor!), attentionScaling: 1 };
    case "dynamic": {
      // NTK-aware: past the trained context the base grows so the lowest frequency still spans it.
      const max = p.maxPositionEmbeddings;
      const len = seqLen > max ? seqLen : max;
      const theta = p.theta * ((s.factor! * len) / max - (s.factor! - 1)) ** (p.dim / (p.dim - 2));
      return { invFreq: base(theta), attentionScaling: 1 };
    }
    case "llama3": {
      // Long wavelengths are slowed by `factor`, short ones kept, and the band between interpolated.
      const old = s.original_max_position_embeddings!;
      const lowWavelen = old / s.low_freq_factor!;
      const highWavelen = old / s.high_freq_factor!;
      const invFreq = base(p.theta).map((f) => {
        const wavelen = (2 * Math.PI) / f;
        if (wavelen < highWavelen) return f;
        if (wavelen > lowWavelen) return f / s.factor!;
        const smooth = (old / wavelen - s.low_freq_factor!) / (s.high_freq_factor! - s.low_freq_factor!);
        return (1 - smooth) * (f / s.factor!) + smooth * f;
      });
      return { invFreq, attentionScaling: 1 };
    }
    case "longrope": {
      // Phi-3: per-pair factors, the long ones once the sequence passes the trained context; cos/sin
      // are scaled up to keep attention entropy as the context grows.
      let original = p.maxPositionEmbeddings;
      let factor = s.factor ?? 1;
      if (p.originalMaxPositionEmbeddings) {
        original = p.originalMaxPositionEmbeddings;
        factor = p.maxPositionEmbeddings / original;
      }
      const attentionScaling = s.attention_factor ?? (factor <= 1 ? 1 : Math.sqrt(1 + Math.log(factor) / Math.log(original)));
      const ext = seqLen > original ? s.long_factor! : s.short_factor!;
      const invFreq = Float64Array.from({ length: half }, (_, i) => 1 / (ext[i] * p.theta ** ((2 * i) / p.dim)));
      return { invFreq, attentionScaling };
    }
  }
}

/**
 * Rotary embeddings as HF applies them (the "rotate half" layout): the angle of dimension pair i at
 * position p is p * invFreq[i]; cos and sin are [B, 1, T, 2 * invFreq.length], concatenated halves,
 * times `attentionScaling`.
 */
export function rotaryCosSinFromFrequencies(positionIds: tf.Tensor2D, invFreq: ArrayLike<number>, attentionScaling = 1): [tf.Tensor4D, tf.Tensor4D] {
  return tf.tidy(() => {
    const [B, T] = positionIds.shape;
    const dim = invFreq.length * 2;
    // float32 angles from float32 inverse frequencies, as HF computes them.
    const freqs = tf.mul(tf.reshape(tf.cast(positionIds, "float32"), [B, T, 1]), tf.tensor1d(Float32Array.from(invFreq)));
    const emb = tf.concat([freqs, freqs], -1);
    const scale = (t: tf.Tensor) => (attentionScaling === 1 ? t : tf.mul(t, attentionScaling));
    return [tf.reshape(scale(tf.cos(emb)), [B, 1, T, dim]), tf.reshape(scale(tf.sin(emb)), [B, 1, T, dim])] as [tf.Tensor4D, tf.Tensor4D];
  });
}

/** Plain RoPE: the angle of dimension pair i at position p is p / theta^(2i / d). */
export function rotaryCosSin(positionIds: tf.Tensor2D, dim: number, theta: number): [tf.Tensor4D, tf.Tensor4D] {
  return rotaryCosSinFromFrequencies(positionIds, ropeFrequencies({ dim, theta, maxPositionEmbeddings: 0 }).invFreq);
}

/** cos/sin for a model's RoPE setup; length-dependent variants read max(positionIds) + 1 (one sync). */
export function rotaryForPositions(positionIds: tf.Tensor2D, p: RopeParams): [tf.Tensor4D, tf.Tensor4D] {
  const seqLen = ropeDependsOnLength(p) ? tf.tidy(() => tf.max(positionIds).dataSync()[0]) + 1 : 0;
  const { invFreq, attentionScaling } = ropeFrequencies(p, seqLen);
  return rotaryCosSinFromFrequencies(positionIds, invFreq, attentionScaling);
}

/** q * cos + rotate_half(q) * sin, with rotate_half(x) = [-x2, x1]. */
export function applyRotary(x: tf.Tensor4D, cos: tf.Tensor4D, sin: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [x1, x2] = tf.split(x, 2, -1);
    const rotated = tf.concat([tf.neg(x2), x1], -1);
    return tf.add(tf.mul(x, cos), tf.mul(rotated, sin)) as tf.Tensor4D;
  });
}
