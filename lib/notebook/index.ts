/** Notebook helpers: environment detection, progress bars, run-wide settings. */
export { displayBundle, displaysFlushed, isNotebook, notebookWriter } from "./env";
export type { DisplayBundle, WriteDisplayData } from "./env";
export { formatDuration, ProgressBar, Tqdm, tqdm } from "./progress";
export type { ProgressMode, ProgressOptions, ProgressStream } from "./progress";
export { modeBanner, parseFlag, settings } from "./settings";
export type { Settings } from "./settings";
