/** Chapter 2: from words to vectors. word2vec (SGNS) and its queries, the playlist recommender, PCA for charts, pooling. */
export { simplePreprocess, textToSentences } from "./tokenize";
export type { SentenceUnit, SimplePreprocessOptions, TextToSentencesOptions } from "./tokenize";
export { KeyedVectors } from "./keyed-vectors";
export type { MostSimilarQuery, SimilarWord, WordOrVector } from "./keyed-vectors";
export { AliasSampler, Word2Vec, buildVocab, keepProbabilities, sgnsLossAndGrads } from "./word2vec";
export type { EpochStats, Word2VecOptions } from "./word2vec";
export { NameRecommender, namePlaylists, splitChapters } from "./playlists";
export type { NameItem, NamePlaylist, NamePlaylistOptions, NamePlaylists, NameRecommenderOptions, Recommendation } from "./playlists";
export { pca, pca2d, symmetricEigen } from "./pca";
export type { PcaInput, PcaResult, Point2D } from "./pca";
export { clsPooling, cosineSimilarity, dotScores, l2Normalize, lastTokenPooling, maxPooling, meanPooling } from "./pooling";

/** Chapter 10: creating and fine-tuning embedding models. */
export { CosineSimilarityLoss, MultipleNegativesRankingLoss, SentenceTransformerLoss, SoftmaxLoss, cosineSimilarityLoss, multipleNegativesRankingLoss, softmaxLossFromEmbeddings } from "./losses";
export type { MultipleNegativesRankingLossOptions, SimilarityFunction, SoftmaxLossConcatenation, SoftmaxLossOptions } from "./losses";
export { EmbeddingSimilarityEvaluator, embeddingSimilarityMetrics, pairedSimilarities, pearsonr, rankdata, spearmanr } from "./evaluation";
export type { EmbeddingSimilarityEvaluatorOptions, SimilarityMetrics, SimilarityName } from "./evaluation";
export { noDuplicatesBatchIndices, noDuplicatesBatches, trainSentenceTransformer } from "./train";
export type { BatchSamplerName, InputExample, TrainSentenceTransformerOptions, TrainSentenceTransformerOutput } from "./train";
export { CrossEncoder, augmentedSbert, binaryCrossEntropyWithLogits, labelSilverPairs } from "./cross-encoder";
export type { AugmentedSbertOptions, CrossEncoderFitOptions, CrossEncoderOptions, CrossEncoderPredictOptions } from "./cross-encoder";
export { DenoisingAutoEncoderLoss, deleteWords, denoisingExamples } from "./tsdae";
export type { DenoisingAutoEncoderLossOptions } from "./tsdae";
