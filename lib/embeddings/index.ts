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
