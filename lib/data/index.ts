export { dataDir, loadText, listCorpora, corpusInfo, corpusFiles } from "./corpus";
export type { BuiltinCorpus, CorpusFile, CorpusInfo } from "./corpus";
export * from "./datasets";
export * from "./spam-assassin";
export * from "./bible";
export * from "./nli";
export * from "./instructions";
