/**
 * Run-wide settings, read once from the environment.
 *
 * Offline is the default so that every notebook and test runs on a machine without
 * network access (CI, the book's offline setup). HOLLM_ONLINE=1 lets chapters download
 * real models and data sets instead of the small local ones.
 */

/** "1", "true", "yes", "on" (any case) mean yes; anything else, or unset, means no. */
export function parseFlag(value: string | undefined): boolean {
  return value != null && /^(1|true|yes|on)$/i.test(value.trim());
}

export interface Settings {
  /** May chapters use the network (model hub, data set downloads)? */
  online: boolean;
}

/** Mutable on purpose: a notebook may switch `settings.online` in its first cell. */
export const settings: Settings = {
  online: parseFlag(process.env.HOLLM_ONLINE),
};

/** One line for the top of a notebook, saying which mode it runs in and how to switch. */
export function modeBanner(current: Settings = settings): string {
  return current.online
    ? "hands-on-llm: ONLINE mode (HOLLM_ONLINE is set): real models and data sets may be downloaded."
    : "hands-on-llm: OFFLINE mode: small local models and data only. Set HOLLM_ONLINE=1 to download real ones.";
}
