/**
 * trl's `SFTTrainer` and `DPOTrainer`, as chapter 12 calls them: a dataset, a tokenizer, training arguments and
 * optionally a `LoraConfig`; tokenisation, batching and the loss are the small pieces of ./sft.ts and ./dpo.ts,
 * the loop is the shared `Trainer` (schedules, accumulation, clipping, checkpoints, progress, log history).
 *
 * As in trl: with a `peftConfig` the model is wrapped by `getPeftModel` and only the adapters train; DPO then needs
 * no second model — the reference is the same model with its adapters disabled (trl's `null_ref_context`).
 */
import * as tf from "@tensorflow/tfjs-core";
import { Module } from "../models/module";
import { Trainer, type TrainOutput, type TrainingArguments } from "../training/trainer";
import { epochBatchIndices, stepsForEpochs } from "../training/data";
import { LoraConfig, PeftModel, getPeftModel, type ForwardModule, type LoraConfigFields } from "./lora";
import {
  collateSft, perplexity, sftLoss, tokenizeForSft, type SftExample, type SftFeatures, type SftTokenizer, type TrainableCausalLM,
} from "./sft";
import {
  collateDpo, computeDpoBatch, tokenizeDpoPair, type DpoBatchOutput, type DpoFeatures, type DpoLossOptions, type DpoLossType, type DpoMetrics, type DpoPair,
  type DpoReference,
} from "./dpo";

/** What both trainers need of a model: a Module whose forward gives logits (GPT-2, Llama, a PeftModel). */
export type CausalLMModule = Module & TrainableCausalLM & ForwardModule;

/** HF TrainingArguments (camelCase) with trl's batch and epoch names; `maxSteps` wins over `numTrainEpochs`. */
export interface TrlTrainingArguments extends Omit<TrainingArguments, "maxSteps"> {
  maxSteps?: number;
  /** Used when maxSteps is not given (default 1). */
  numTrainEpochs?: number;
  /** Default 8, as HF's per_device_train_batch_size. */
  perDeviceTrainBatchSize?: number;
  /** Evaluation batch size (default 8). */
  perDeviceEvalBatchSize?: number;
}

/** trl's SFTConfig. */
export interface SFTConfig extends TrlTrainingArguments {
  /** trl's max_length (default 1024). */
  maxSeqLength?: number;
  packing?: boolean;
  /** Loss on completions only for prompt-completion data (trl's default). */
  completionOnlyLoss?: boolean;
}

/** trl's DPOConfig. */
export interface DPOConfig extends TrlTrainingArguments {
  /** Default 0.1. */
  beta?: number;
  lossType?: DpoLossType;
  labelSmoothing?: number;
  /** Default 1024. */
  maxLength?: number;
  maxPromptLength?: number;
}

interface TrlTokenizer extends SftTokenizer {
  padTokenId?: number | null;
  eosTokenId?: number | null;
}

function padId(tokenizer: TrlTokenizer, where: string): number {
  const id = tokenizer.padTokenId ?? tokenizer.eosTokenId;
  if (id === null || id === undefined) throw new Error(`${where}: the tokenizer has neither a pad nor an EOS token to pad batches with`);
  return id;
}

function wrapModel(model: CausalLMModule, peftConfig: LoraConfig | Partial<LoraConfigFields> | undefined): CausalLMModule {
  if (!peftConfig) return model;
  if (model instanceof PeftModel) throw new Error("peftConfig was given but the model is already a PeftModel: pass one or the other");
  return getPeftModel(model, peftConfig) as unknown as CausalLMModule;
}

function trainingSteps(args: TrlTrainingArguments, examples: number, batchSize: number, where: string): number {
  if (examples === 0) throw new Error(`${where}: the training dataset is empty`);
  return args.maxSteps ?? stepsForEpochs(examples, batchSize, args.numTrainEpochs ?? 1);
}

function loopArguments(args: TrlTrainingArguments, maxSteps: number): TrainingArguments {
  const { numTrainEpochs: _e, perDeviceTrainBatchSize: _b, perDeviceEvalBatchSize: _eb, ...rest } = args;
  return { ...rest, maxSteps };
}

/** trl's SFTTrainer: supervised fine-tuning on text, chat or prompt-completion examples. */
export class SFTTrainer {
  readonly model: CausalLMModule;
  readonly trainer: Trainer<ReturnType<typeof collateSft>>;
  readonly trainFeatures: SftFeatures[];
  private readonly evalFeatures: SftFeatures[];
  private readonly padTokenId: number;
  private readonly evalBatchSize: number;

  constructor(opts: {
    model: CausalLMModule;
    args: SFTConfig;
    trainDataset: SftExample[];
    evalDataset?: SftExample[];
    tokenizer: TrlTokenizer;
    peftConfig?: LoraConfig | Partial<LoraConfigFields>;
    /** The book's (older trl's) SFTTrainer argument; overrides args.maxSeqLength. */
    maxSeqLength?: number;
  }) {
    const { args, tokenizer } = opts;
    const tokenize = { maxSeqLength: opts.maxSeqLength ?? args.maxSeqLength ?? 1024, packing: args.packing, completionOnlyLoss: args.completionOnlyLoss };
    this.trainFeatures = tokenizeForSft(tokenizer, opts.trainDataset, tokenize);
    this.evalFeatures = opts.evalDataset ? tokenizeForSft(tokenizer, opts.evalDataset, tokenize) : [];
    this.padTokenId = padId(tokenizer, "SFTTrainer");
    this.evalBatchSize = args.perDeviceEvalBatchSize ?? 8;
    this.model = wrapModel(opts.model, opts.peftConfig);
    const batchSize = args.perDeviceTrainBatchSize ?? 8;
    const accumulation = args.gradientAccumulationSteps ?? 1;
    const maxSteps = trainingSteps(args, Math.floor(this.trainFeatures.length / accumulation), batchSize, "SFTTrainer");
    const indices = epochBatchIndices(this.trainFeatures.length, batchSize, args.seed ?? 42);
    this.trainer = new Trainer({
      model: this.model,
      args: loopArguments(args, maxSteps),
      batch: (i) => collateSft(indices(i).map((k) => this.trainFeatures[k]), { padTokenId: this.padTokenId }),
      loss: (batch) => sftLoss(this.model, batch),
      disposeBatch: () => {},
      evaluate: this.evalFeatures.length > 0 ? async () => this.evaluate() : undefined,
    });
  }

  train(): Promise<TrainOutput> {
    return this.trainer.train();
  }

  /** Held-out loss and perplexity over every completion token of the eval dataset. */
  evaluate(): { eval_loss: number; eval_perplexity: number } {
    if (this.evalFeatures.length === 0) throw new Error("SFTTrainer.evaluate: no evalDataset was given");
    const batches: Array<ReturnType<typeof collateSft>> = [];
    for (let i = 0; i < this.evalFeatures.length; i += this.evalBatchSize) {
      batches.push(collateSft(this.evalFeatures.slice(i, i + this.evalBatchSize), { padTokenId: this.padTokenId }));
    }
    const ppl = perplexity(this.model, batches);
    return { eval_loss: Math.log(ppl), eval_perplexity: ppl };
  }

  dispose(): void {
    this.trainer.dispose();
  }
}

/**
 * trl's DPOTrainer (sigmoid loss by default): preference pairs {prompt, chosen, rejected}. The reference policy is
 * `refModel` when given, else — with a peftConfig or a PeftModel — the model with its adapters disabled.
 */
export class DPOTrainer {
  readonly model: CausalLMModule;
  readonly trainer: Trainer<ReturnType<typeof collateDpo>>;
  readonly trainFeatures: DpoFeatures[];
  private readonly reference: Exclude<DpoReference, null>;
  private readonly padTokenId: number;
  private readonly args: DPOConfig;
  private readonly tokenizer: TrlTokenizer;
  private readonly lossOptions: DpoLossOptions & { deferMetrics?: false };

  constructor(opts: {
    model: CausalLMModule;
    refModel?: CausalLMModule;
    args: DPOConfig;
    trainDataset: DpoPair[];
    tokenizer: TrlTokenizer;
    peftConfig?: LoraConfig | Partial<LoraConfigFields>;
    /** The book's (older trl's) DPOTrainer arguments; they override the same fields of args. */
    beta?: number;
    maxPromptLength?: number;
    maxLength?: number;
  }) {
    const { tokenizer } = opts;
    const args: DPOConfig = {
      ...opts.args,
      ...(opts.beta !== undefined ? { beta: opts.beta } : {}),
      ...(opts.maxPromptLength !== undefined ? { maxPromptLength: opts.maxPromptLength } : {}),
      ...(opts.maxLength !== undefined ? { maxLength: opts.maxLength } : {}),
    };
    this.args = args;
    this.tokenizer = tokenizer;
    this.lossOptions = { beta: args.beta ?? 0.1, lossType: args.lossType, labelSmoothing: args.labelSmoothing };
    this.trainFeatures = opts.trainDataset.map((pair) => this.tokenize(pair));
    this.padTokenId = padId(tokenizer, "DPOTrainer");
    this.model = wrapModel(opts.model, opts.peftConfig);
    const peft = this.model instanceof PeftModel ? (this.model as PeftModel) : null;
    if (opts.refModel) this.reference = opts.refModel;
    else if (peft) {
      this.reference = (ids, mask) => peft.withAdapterDisabled(() => (peft.forward(ids, { attentionMask: mask }) as { logits: tf.Tensor3D }).logits);
    } else throw new Error("DPOTrainer: give a refModel, or a peftConfig / PeftModel so the reference is the model without its adapters");
    const batchSize = args.perDeviceTrainBatchSize ?? 8;
    const maxSteps = trainingSteps(args, Math.floor(this.trainFeatures.length / (args.gradientAccumulationSteps ?? 1)), batchSize, "DPOTrainer");
    const indices = epochBatchIndices(this.trainFeatures.length, batchSize, args.seed ?? 42);
    this.trainer = new Trainer({
      model: this.model,
      args: loopArguments(args, maxSteps),
      batch: (i) => collateDpo(indices(i).map((k) => this.trainFeatures[k]), { padTokenId: this.padTokenId }),
      loss: (batch) => {
        const out = computeDpoBatch(this.model, this.reference, batch, this.lossOptions);
        return { loss: out.loss, metrics: out.metrics as unknown as Record<string, number> };
      },
      disposeBatch: () => {},
    });
  }

  /** trl's tokenisation of one pair (prompt, then each response with EOS; labels -100 over the prompt). */
  tokenize(pair: DpoPair): DpoFeatures {
    return tokenizeDpoPair(this.tokenizer, pair, { maxLength: this.args.maxLength ?? 1024, maxPromptLength: this.args.maxPromptLength });
  }

  train(): Promise<TrainOutput> {
    return this.trainer.train();
  }

  /** The DPO metrics averaged over held-out pairs (eval mode: no dropout), e.g. rewards/accuracies. */
  evaluate(pairs: DpoPair[]): DpoMetrics {
    if (pairs.length === 0) throw new Error("DPOTrainer.evaluate: no pairs");
    const sums: Record<string, number> = {};
    this.forEachEvalBatch(pairs, (out, n) => {
      for (const [k, v] of Object.entries(out.metrics)) sums[k] = (sums[k] ?? 0) + v * n;
    });
    return Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / pairs.length])) as unknown as DpoMetrics;
  }

  /**
   * Each pair's implicit rewards β (log π − log π_ref) of its chosen and rejected answer (eval mode), for
   * accuracies by subgroup; `evaluate` gives their averages.
   */
  pairRewards(pairs: DpoPair[]): { chosen: number[]; rejected: number[] } {
    const beta = this.lossOptions.beta!;
    const chosen: number[] = [];
    const rejected: number[] = [];
    this.forEachEvalBatch(pairs, (out, n) => {
      for (let k = 0; k < n; k++) {
        chosen.push(beta * (out.policyLogps[k] - out.referenceLogps[k]));
        rejected.push(beta * (out.policyLogps[n + k] - out.referenceLogps[n + k]));
      }
    });
    return { chosen, rejected };
  }

  /** Runs the pairs in eval-size batches in eval mode (restored after), giving each batch's output and pair count. */
  private forEachEvalBatch(pairs: DpoPair[], visit: (out: DpoBatchOutput, pairs: number) => void): void {
    const wasTraining = this.model.training;
    this.model.eval();
    const batchSize = this.args.perDeviceEvalBatchSize ?? 8;
    try {
      for (let i = 0; i < pairs.length; i += batchSize) {
        const chunk = pairs.slice(i, i + batchSize);
        const out = computeDpoBatch(this.model, this.reference, collateDpo(chunk.map((p) => this.tokenize(p)), { padTokenId: this.padTokenId }), this.lossOptions);
        out.loss.dispose();
        visit(out, chunk.length);
      }
    } finally {
      this.model.train(wasTraining);
    }
  }

  dispose(): void {
    this.trainer.dispose();
  }
}
