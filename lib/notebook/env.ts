/**
 * Where is this code running: inside a tslab Jupyter kernel, or a plain Node script?
 *
 * tslab 1.0.22 has no public API for a display output with several mime types, or for
 * updating an output in place. Its internal module `tslab/dist/jupyter` keeps the
 * current cell's `lastWriteDisplayData(content, update)` function, which sends a
 * `display_data` (update = false) or `update_display_data` (update = true) message.
 * tslab is pinned in package.json because of this.
 */

/** One Jupyter display output: several representations of the same thing. */
export interface DisplayBundle {
  /** mime type -> payload (strings; JSON mime types take objects). */
  data: Record<string, unknown>;
  /** mime type -> metadata, e.g. {"image/png": {width, height}}. */
  metadata: Record<string, unknown>;
}

/** What tslab's writer sends: a bundle plus `transient.display_id` for in-place updates. */
interface DisplayContent extends DisplayBundle {
  transient: { display_id?: string };
}

type WriteDisplayData = (content: DisplayContent, update: boolean) => void;

interface TslabJupyterModule {
  lastWriteDisplayData: WriteDisplayData | null;
}

const TSLAB_JUPYTER_FILE = /[\\/]tslab[\\/]dist[\\/]jupyter\.js$/;

/**
 * Find tslab's jupyter module among the modules already loaded.
 *
 * We look in require.cache instead of calling require("tslab/dist/jupyter"): in a plain
 * script that require would load tslab's bundled TypeScript compiler (about a second),
 * and inside a kernel the module is always loaded already. Searching the cache by file
 * name also finds a globally installed tslab, not only the project's copy.
 */
function tslabJupyter(): TslabJupyterModule | null {
  for (const file of Object.keys(require.cache)) {
    if (TSLAB_JUPYTER_FILE.test(file)) {
      const mod = require.cache[file]?.exports as TslabJupyterModule | undefined;
      if (mod && "lastWriteDisplayData" in mod) return mod;
    }
  }
  return null;
}

/**
 * The display writer of the cell that is executing now, or null outside a notebook.
 *
 * Take it synchronously, before any `await`: tslab swaps the writer at the start of each
 * cell, so a writer taken later could send output to the wrong cell.
 */
export function notebookWriter(): WriteDisplayData | null {
  const mod = tslabJupyter();
  return mod && mod.lastWriteDisplayData ? mod.lastWriteDisplayData : null;
}

/** True when running inside a tslab kernel (a Jupyter notebook cell). */
export function isNotebook(): boolean {
  return notebookWriter() != null;
}

/**
 * Send one display output. Returns false (and sends nothing) outside a notebook.
 * With `displayId`, the output can later be replaced in place with `update: true`.
 */
export function displayBundle(
  bundle: DisplayBundle,
  options: { displayId?: string; update?: boolean; writer?: WriteDisplayData | null } = {},
): boolean {
  const write = options.writer !== undefined ? options.writer : notebookWriter();
  if (!write) return false;
  const transient = options.displayId ? { display_id: options.displayId } : {};
  send({ write, content: { data: bundle.data, metadata: bundle.metadata, transient }, update: options.update === true });
  return true;
}

interface PendingDisplay {
  write: WriteDisplayData;
  content: DisplayContent;
  update: boolean;
}

/**
 * Displays waiting for tslab's iopub socket. tslab does not await its zeromq sends, and zeromq.js throws
 * "Socket is busy writing" when a send starts while the previous one is still in flight (seen when a
 * progress bar's last update and its close follow each other within a training loop): the cell then
 * fails with no message. Such displays wait here and go out in order a few milliseconds later; an update
 * replaces a waiting update of the same output, so a busy socket never piles up stale progress frames.
 */
const waiting: PendingDisplay[] = [];
let flushTimer: ReturnType<typeof setTimeout> | null = null;
const RETRY_MS = 5;
/** After this many retries of the same display (~10 s), it is dropped rather than blocking the queue. */
const MAX_RETRIES = 2000;
let retries = 0;

/**
 * Resolves once every waiting display has gone out and the event loop has turned, so that the socket could
 * finish sending. Await it after a progress bar closes and before synchronous work: zeromq completes a send
 * only on the event loop, and tslab silently drops a console.log that meets a send still in flight.
 */
export function displaysFlushed(): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (waiting.length === 0) setTimeout(resolve, 10);
      else setTimeout(check, RETRY_MS);
    };
    check();
  });
}

function isBusy(e: unknown): boolean {
  return e instanceof Error && /busy writing/i.test(e.message);
}

function send(d: PendingDisplay): void {
  if (waiting.length === 0) {
    try {
      d.write(d.content, d.update);
      return;
    } catch (e) {
      if (!isBusy(e)) throw e;
    }
  }
  const id = d.content.transient.display_id;
  const same = d.update && id ? waiting.findIndex((w) => w.update && w.content.transient.display_id === id) : -1;
  if (same >= 0) waiting[same] = d;
  else waiting.push(d);
  if (!flushTimer) flushTimer = setTimeout(flush, RETRY_MS);
}

function flush(): void {
  flushTimer = null;
  while (waiting.length > 0) {
    const d = waiting[0];
    try {
      d.write(d.content, d.update);
    } catch (e) {
      if (isBusy(e) && ++retries < MAX_RETRIES) {
        flushTimer = setTimeout(flush, RETRY_MS);
        return;
      }
      // Not a busy socket (or busy for ~10 s): this display is lost, the others still go out.
    }
    waiting.shift();
    retries = 0;
  }
}

export type { WriteDisplayData };
