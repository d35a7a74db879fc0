/** The Hugging Face Hub: file downloads into a local cache, and transformers.js pipelines. */
export {
  DEFAULT_HF_ENDPOINT,
  hfHubDownload,
  hubCacheDir,
  hubCachePath,
  HubDownloadError,
  hubEndpoint,
  hubFileUrl,
  isHubOffline,
  resolveModelFolder,
} from "./download";
export type { HubDownloadOptions, HubErrorCode, HubFileSpec } from "./download";
export { hubEmbedder, hubPipeline, transformersJs } from "./pipeline";
export type { HubPipelineOptions } from "./pipeline";
