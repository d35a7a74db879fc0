/**
 * hands-on-llm: the public entry. Notebooks, tests, benchmarks and users' scripts all import from here:
 *   import { GPT2LMHeadModel, initEngine, show } from "hands-on-llm";
 * Folders follow the book: tokenizers (ch. 2), models and generation (ch. 3), training (ch. 3, 10-12).
 */
export const VERSION = "0.1.0";

// Infrastructure
export * from "./engine";
export * from "./util/random";
export * from "./util/stats";
export * from "./util/matrix";
export * from "./notebook";
export * from "./viz";
export * from "./data";
export * from "./hub";

// Chapter 2: tokens
export * from "./tokenizers/char";
export * from "./tokenizers/train";
export * from "./tokenizers/hf";
export * from "./tokenizers/validate";
export * from "./tokenizers/view";
export * from "./embeddings";
export * from "./embeddings/sentence-transformer";

// Chapter 3: inside a language model
export * from "./models/module";
export * from "./models/layers";
export * from "./models/kv-cache";
export * from "./models/outputs";
export * from "./models/gpt2";
export * from "./models/bert";
export * from "./models/rope";
export * from "./models/llama";
export * from "./models/safetensors";
export * from "./models/checkpoint";
export * from "./generation/sampling";
export * from "./generation/generate";
export * from "./pipelines/text-generation";
export * from "./export/onnx";
export * from "./export/gguf";
export { OnnxGraph } from "./export/onnx-graph";
export type { OnnxAttribute, OnnxDim, OnnxElementType, OnnxModelOptions } from "./export/onnx-graph";

// Training, shared by chapters 1, 3 and 10-12
export * from "./training/losses";
export * from "./training/optim";
export * from "./training/step";
export * from "./training/data";
export * from "./training/evaluate";
export * from "./training/trainer";
export * from "./training/collators";

// Chapters 4 and 5: classification, clustering and topics
export * from "./util/sparse";
export * from "./classification/vectorizers";
export * from "./classification/logistic-regression";
export * from "./classification/metrics";
export * from "./classification/stop-words";
export * from "./topics/ctfidf";
export * from "./classification/zero-shot";
export * from "./classification/pipelines";
export * from "./topics/components";
export { HDBSCAN, type HDBSCANOptions, type HDBSCANPrediction, type HDBSCANPredictionData, type CondensedTree, type SingleLinkageTree } from "./topics/hdbscan";
export { allPointsMembershipVectors, membershipVector, clusterExemplars } from "./topics/hdbscan-soft";
export { KMeans, type KMeansOptions } from "./topics/kmeans";
export { adjustedRandScore, normalizedMutualInfoScore, mutualInfoScore, homogeneityCompletenessVMeasure, homogeneityScore, completenessScore, vMeasureScore } from "./topics/metrics";
export * from "./topics/agglomerative";
export { cosineSimilarityDense, cosineSimilaritySparse } from "./topics/similarity";
export * from "./topics/representation";
export { UMAP, trustworthiness, type UMAPOptions, type UMAPTimings } from "./topics/umap";
export { NNDescent, bruteForceKnn, type KnnGraph, type NNMetric, type NNDescentOptions } from "./topics/nndescent";
export { findAbParams, smoothKnnDist } from "./topics/umap-math";
export * from "./topics/bertopic";
export * from "./topics/charts";

// Chapter 11: fine-tuning representation models
export * from "./finetuning/classifier";
export * from "./finetuning/mlm";
export * from "./finetuning/ner";
export * from "./finetuning/ner-data";
export * from "./finetuning/token-classification";
export * from "./finetuning/setfit";
export * from "./finetuning/freeze";
// seqeval's metrics share names with scikit-learn's (classification/metrics): seqeval.f1Score(...)
export * as seqeval from "./finetuning/seqeval";

// Chapter 12: fine-tuning generation models (LoRA / QLoRA with NF4)
export * from "./finetuning/lora";
export * from "./finetuning/nf4";
export * from "./finetuning/sft";
export * from "./finetuning/dpo";
export * from "./finetuning/trainers";

// Chapters 6 and 7: prompt engineering, constrained output, chains, memory and agents
export * from "./prompting/templates";
export * from "./prompting/reasoning";
export * from "./prompting/json-schema";
export * from "./prompting/constrained";
export * from "./chains/chains";
export * from "./chains/memory";
export * from "./chains/agent";
export * from "./chains/tools";
export * from "./chains/llama-cpp";

// Chapter 8: semantic search and retrieval-augmented generation
export * from "./search";

// Chapter 9: multimodal models (a tiny CLIP on drawn shapes; the book's CLIP through transformers.js)
export * from "./multimodal";
