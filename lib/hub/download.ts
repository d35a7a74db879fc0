/**
 * A small Hugging Face Hub client: download one file of a model repository into a local cache, as
 * Python's `huggingface_hub.hf_hub_download` does, and resolve "a hub id or a local folder" to a folder.
 *
 *   URL    `${endpoint}/${repoId}/resolve/${revision}/${filename}`  (endpoint: option, $HF_ENDPOINT, or
 *          https://huggingface.co; the hub answers with a redirect to its CDN, which we follow)
 *   cache  `<cacheDir>/<repoId>/<revision>/<filename>`  (cacheDir: option, $HOLLM_HF_CACHE, or
 *          ~/.cache/hands-on-llm/hub). A cached file is used without asking the server again, so a
 *          branch like "main" is pinned at first download: pass `forceDownload` (or a commit hash) to refresh.
 *
 * Downloads go to `<file>.incomplete` and are renamed into place only once complete (length and, when the
 * hub gives one, SHA-256 checked), so the final path never holds a partial file. A dropped connection keeps
 * the `.incomplete` file, and the next attempt (in the same call, up to `retries` times, or a later call)
 * resumes it with an HTTP Range request. Offline ($HF_HUB_OFFLINE=1 or `offline`) only the cache is used.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import { pipeline } from "stream/promises";
import { ProgressBar } from "../notebook/progress";
import type { ProgressStream } from "../notebook/progress";
import { parseFlag } from "../notebook/settings";

export const DEFAULT_HF_ENDPOINT = "https://huggingface.co";

export interface HubDownloadOptions {
  /** Branch, tag or commit (default "main"). */
  revision?: string;
  /** Cache folder (default $HOLLM_HF_CACHE, else ~/.cache/hands-on-llm/hub). */
  cacheDir?: string;
  /** Hub or mirror URL (default $HF_ENDPOINT, else https://huggingface.co). */
  endpoint?: string;
  /** Use only the cache, never the network (default: $HF_HUB_OFFLINE or $TRANSFORMERS_OFFLINE set). */
  offline?: boolean;
  /** Access token for gated/private repos (default $HF_TOKEN); `false` sends none. */
  token?: string | false;
  /** Download again even when the file is cached. */
  forceDownload?: boolean;
  /** How many times one call resumes after a dropped connection or a server error (default 2). */
  retries?: number;
  /** Give up on a connection idle this long, in ms (default 30 s). */
  timeoutMs?: number;
  /** Show a progress bar for large files (default true). */
  progress?: boolean;
  /** Files at least this large get a progress bar (default 10 MiB). */
  progressThreshold?: number;
  /** Where the progress bar draws outside notebooks (default stderr; tests pass a recorder). */
  progressStream?: ProgressStream;
}

export type HubErrorCode =
  | "offline"
  | "not-found"
  | "repo-not-found"
  | "revision-not-found"
  | "unauthorized"
  | "network"
  | "http"
  | "incomplete"
  | "integrity"
  | "invalid";

/** Every failure of the hub client; `code` says which kind, `url` where it happened (when relevant). */
export class HubDownloadError extends Error {
  readonly code: HubErrorCode;
  readonly url?: string;
  readonly status?: number;
  constructor(code: HubErrorCode, message: string, extra: { url?: string; status?: number } = {}) {
    super(message);
    this.name = "HubDownloadError";
    this.code = code;
    this.url = extra.url;
    this.status = extra.status;
  }
}

const NETWORK_HINT =
  "Check the network, set HF_ENDPOINT to a reachable hub mirror, or set HF_HUB_OFFLINE=1 to use only files already in the cache.";

/** The cache folder from the option, $HOLLM_HF_CACHE, or the default under the home folder. */
export function hubCacheDir(cacheDir?: string): string {
  const dir = cacheDir ?? process.env.HOLLM_HF_CACHE ?? path.join(os.homedir(), ".cache", "hands-on-llm", "hub");
  return path.resolve(expandHome(dir));
}

/** The hub URL from the option, $HF_ENDPOINT, or huggingface.co; without trailing slashes. */
export function hubEndpoint(endpoint?: string): string {
  const url = endpoint ?? process.env.HF_ENDPOINT ?? DEFAULT_HF_ENDPOINT;
  return url.replace(/\/+$/, "");
}

/** True when the option or $HF_HUB_OFFLINE / $TRANSFORMERS_OFFLINE ask for cache-only operation. */
export function isHubOffline(offline?: boolean): boolean {
  if (offline != null) return offline;
  return parseFlag(process.env.HF_HUB_OFFLINE) || parseFlag(process.env.TRANSFORMERS_OFFLINE);
}

function expandHome(p: string): string {
  return p === "~" || p.startsWith("~/") ? path.join(os.homedir(), p.slice(1)) : p;
}

// Names become cache paths: reject anything that could climb out of the cache folder.
const REPO_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*(\/[A-Za-z0-9_.-]+)?$/;

function checkSegments(what: string, value: string, allowSlash: boolean): void {
  const bad =
    value.length === 0 ||
    value.includes("\\") ||
    value.includes("\0") ||
    value.startsWith("/") ||
    (!allowSlash && value.includes("/")) ||
    value.split("/").some((s) => s === "" || s === "." || s === "..");
  if (bad) throw new HubDownloadError("invalid", `invalid ${what} ${JSON.stringify(value)}`);
}

function checkNames(repoId: string, filename: string, revision: string): void {
  if (!REPO_ID.test(repoId) || repoId.split("/").some((s) => s === "." || s === ".." || s.includes(".."))) {
    throw new HubDownloadError("invalid", `invalid hub repo id ${JSON.stringify(repoId)}: expected "name" or "owner/name"`);
  }
  checkSegments("file name", filename, true);
  checkSegments("revision", revision, true);
}

/** `${endpoint}/${repoId}/resolve/${revision}/${filename}`, with the revision and path segments escaped. */
export function hubFileUrl(repoId: string, filename: string, opts: { revision?: string; endpoint?: string } = {}): string {
  const revision = opts.revision ?? "main";
  checkNames(repoId, filename, revision);
  const file = filename.split("/").map(encodeURIComponent).join("/");
  return `${hubEndpoint(opts.endpoint)}/${repoId}/resolve/${encodeURIComponent(revision)}/${file}`;
}

/** Where a hub file is (or would be) cached: `<cacheDir>/<repoId>/<revision>/<filename>`. */
export function hubCachePath(repoId: string, filename: string, opts: { revision?: string; cacheDir?: string } = {}): string {
  const revision = opts.revision ?? "main";
  checkNames(repoId, filename, revision);
  return path.join(hubCacheDir(opts.cacheDir), ...repoId.split("/"), ...revision.split("/"), ...filename.split("/"));
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

// One download per cache path at a time within this process: concurrent callers share it.
const inFlight = new Map<string, Promise<string>>();

/**
 * Download `filename` of hub repo `repoId` into the cache (or find it there) and return its local path.
 * Errors are HubDownloadError with a message naming the repo, the file and what to do.
 */
export async function hfHubDownload(repoId: string, filename: string, opts: HubDownloadOptions = {}): Promise<string> {
  const revision = opts.revision ?? "main";
  const finalPath = hubCachePath(repoId, filename, { revision, cacheDir: opts.cacheDir });
  if (!opts.forceDownload && isFile(finalPath)) return finalPath;
  if (isHubOffline(opts.offline)) {
    throw new HubDownloadError(
      "offline",
      `offline mode (HF_HUB_OFFLINE): ${filename} of hub repo ${repoId} (revision ${revision}) is not in the cache ` +
        `(${finalPath}). Download it once with network access, or point to a local folder instead.`,
    );
  }
  const pending = inFlight.get(finalPath);
  if (pending) return pending;
  const job = downloadLocked(repoId, filename, revision, finalPath, opts).finally(() => inFlight.delete(finalPath));
  inFlight.set(finalPath, job);
  return job;
}

interface PartialMeta {
  url: string;
  etag?: string;
  total?: number;
  sha256?: string;
}

/** Cross-process guard: a `.lock` file holding the pid; a lock of a dead process is taken over. */
async function downloadLocked(
  repoId: string,
  filename: string,
  revision: string,
  finalPath: string,
  opts: HubDownloadOptions,
): Promise<string> {
  fs.mkdirSync(path.dirname(finalPath), { recursive: true });
  const lockPath = `${finalPath}.lock`;
  const deadline = Date.now() + 30 * 60_000;
  for (;;) {
    try {
      fs.writeFileSync(lockPath, String(process.pid), { flag: "wx" });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const holder = Number(readText(lockPath));
      if (!Number.isInteger(holder) || holder <= 0 || holder === process.pid || !processAlive(holder)) {
        fs.rmSync(lockPath, { force: true }); // stale: its process is gone
        continue;
      }
      if (Date.now() > deadline) {
        throw new HubDownloadError("network", `another process (pid ${holder}) has been downloading ${finalPath} for 30 minutes; remove ${lockPath} if it is stuck`);
      }
      await sleep(250);
      if (!opts.forceDownload && isFile(finalPath)) return finalPath; // the other process finished it
    }
  }
  try {
    await downloadWithRetries(repoId, filename, revision, finalPath, opts);
    return finalPath;
  } finally {
    fs.rmSync(lockPath, { force: true });
  }
}

function readText(p: string): string {
  try {
    return fs.readFileSync(p, "utf8");
  } catch {
    return "";
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function downloadWithRetries(
  repoId: string,
  filename: string,
  revision: string,
  finalPath: string,
  opts: HubDownloadOptions,
): Promise<void> {
  const url = hubFileUrl(repoId, filename, { revision, endpoint: opts.endpoint });
  const retries = Math.max(0, opts.retries ?? 2);
  for (let attempt = 0; ; attempt++) {
    try {
      await downloadOnce(url, { repoId, filename, revision }, finalPath, opts);
      return;
    } catch (err) {
      // Dropped connections and 5xx answers are worth another try (resuming what we have); the rest is final.
      const retriable = err instanceof HubDownloadError && (err.code === "incomplete" || (err.code === "http" && (err.status ?? 0) >= 500));
      if (!retriable || attempt >= retries) throw err;
      await sleep(Math.min(2000, 200 * 2 ** attempt));
    }
  }
}

interface FileRef {
  repoId: string;
  filename: string;
  revision: string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

interface Answer {
  res: http.IncomingMessage;
  url: string;
  /** Headers of the hub's own first answer (X-Linked-Etag / X-Error-Code live there, not on the CDN). */
  hubHeaders: http.IncomingHttpHeaders;
}

/** GET with redirects followed by hand, so the token is never sent to another origin (the CDN). */
function request(url: string, headers: Record<string, string>, timeoutMs: number, hops = 0, hubHeaders?: http.IncomingHttpHeaders): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      reject(new HubDownloadError("invalid", `invalid hub URL ${url}: check HF_ENDPOINT`));
      return;
    }
    const lib = target.protocol === "https:" ? https : target.protocol === "http:" ? http : null;
    if (!lib) {
      reject(new HubDownloadError("invalid", `unsupported URL scheme in ${url}: HF_ENDPOINT must be http(s)://...`));
      return;
    }
    const req = lib.get(target, { headers }, (res) => {
      const status = res.statusCode ?? 0;
      const first = hubHeaders ?? res.headers;
      if (REDIRECTS.has(status) && res.headers.location) {
        res.resume(); // drain the redirect body
        if (hops >= 10) {
          reject(new HubDownloadError("http", `too many redirects fetching ${url}`, { url }));
          return;
        }
        const next = new URL(res.headers.location, target);
        const nextHeaders = { ...headers };
        if (next.origin !== target.origin) delete nextHeaders.authorization;
        request(next.toString(), nextHeaders, timeoutMs, hops + 1, first).then(resolve, reject);
        return;
      }
      resolve({ res, url, hubHeaders: first });
    });
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error(`no answer for ${Math.round(timeoutMs / 1000)} s`), { code: "ETIMEDOUT" })));
    req.on("error", (err: NodeJS.ErrnoException) => {
      reject(
        new HubDownloadError("network", `could not reach ${url} (${err.code ?? err.message}). ${NETWORK_HINT}`, { url }),
      );
    });
  });
}

function header(headers: http.IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** A strong ETag or X-Linked-Etag that is a SHA-256 (LFS files on the hub) is the file's checksum. */
function sha256From(headers: http.IncomingHttpHeaders): string | undefined {
  for (const name of ["x-linked-etag", "etag"]) {
    const v = header(headers, name)?.replace(/^W\//, "").replace(/"/g, "");
    if (v && /^[0-9a-f]{64}$/.test(v)) return v;
  }
  return undefined;
}

async function sha256OfFile(p: string): Promise<string> {
  const hash = crypto.createHash("sha256");
  await pipeline(fs.createReadStream(p), hash);
  return hash.digest("hex");
}

function readMeta(p: string): PartialMeta | null {
  try {
    const meta = JSON.parse(fs.readFileSync(p, "utf8")) as PartialMeta;
    return meta && typeof meta.url === "string" ? meta : null;
  } catch {
    return null;
  }
}

/** Write-then-rename, so readers never see a half-written file. */
function writeFileAtomic(p: string, text: string): void {
  const tmp = `${p}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, p);
}

function httpError(status: number, url: string, ref: FileRef, headers: http.IncomingHttpHeaders, endpoint: string): HubDownloadError {
  const errorCode = header(headers, "x-error-code");
  const where = `hub repo ${ref.repoId} at revision ${ref.revision} (${endpoint})`;
  if (errorCode === "RepoNotFound") {
    return new HubDownloadError(
      "repo-not-found",
      `repository ${ref.repoId} not found on ${endpoint} (HTTP ${status}); if it is private or gated, set HF_TOKEN to an access token`,
      { url, status },
    );
  }
  if (errorCode === "RevisionNotFound") {
    return new HubDownloadError("revision-not-found", `revision ${ref.revision} not found in ${where} (HTTP ${status})`, { url, status });
  }
  if (status === 404 || errorCode === "EntryNotFound") {
    return new HubDownloadError("not-found", `file ${ref.filename} not found in repo ${ref.repoId} at revision ${ref.revision} (${url})`, { url, status });
  }
  if (status === 401 || status === 403) {
    const hasToken = status === 403 ? " (the token given has no access: accept the model's licence on its hub page?)" : "";
    return new HubDownloadError(
      "unauthorized",
      `${ref.filename} of ${where} needs an access token (HTTP ${status})${hasToken}: set HF_TOKEN, or pass { token }`,
      { url, status },
    );
  }
  return new HubDownloadError("http", `HTTP ${status} fetching ${ref.filename} of ${where} (${url})`, { url, status });
}

/** One GET of the file, resuming `.incomplete` when it exists. Throws "incomplete" on a dropped connection. */
async function downloadOnce(url: string, ref: FileRef, finalPath: string, opts: HubDownloadOptions): Promise<void> {
  const partial = `${finalPath}.incomplete`;
  const metaPath = `${partial}.json`;
  let meta = readMeta(metaPath);
  let offset = 0;
  if (isFile(partial)) {
    offset = fs.statSync(partial).size;
    if (!meta || meta.url !== url) offset = 0; // left by another URL (endpoint changed): start again
  }
  const token = opts.token === false ? undefined : opts.token ?? process.env.HF_TOKEN ?? process.env.HUGGING_FACE_HUB_TOKEN;
  const headers: Record<string, string> = { "user-agent": "hands-on-llm (node)", "accept-encoding": "identity" };
  if (token) headers.authorization = `Bearer ${token}`;
  if (offset > 0) {
    headers.range = `bytes=${offset}-`;
    // If-Range: the server sends the whole file instead when it changed since the first part came.
    if (meta?.etag && !meta.etag.startsWith("W/")) headers["if-range"] = meta.etag;
  }
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const endpoint = hubEndpoint(opts.endpoint);
  const { res, url: finalUrl, hubHeaders } = await request(url, headers, timeoutMs);
  const status = res.statusCode ?? 0;

  let append: boolean;
  let total: number | undefined;
  if (status === 200) {
    append = false; // a full answer, also when we asked for a range
    const length = Number(header(res.headers, "content-length"));
    total = Number.isFinite(length) && header(res.headers, "content-length") != null ? length : undefined;
  } else if (status === 206 && offset > 0) {
    const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header(res.headers, "content-range") ?? "");
    if (!m || Number(m[1]) !== offset) {
      res.resume();
      fs.rmSync(partial, { force: true }); // a range we did not ask for: start over on the next try
      throw new HubDownloadError("incomplete", `bad Content-Range ${JSON.stringify(header(res.headers, "content-range"))} from ${finalUrl}`, { url });
    }
    append = true;
    total = m[3] === "*" ? undefined : Number(m[3]);
  } else if (status === 416 && offset > 0) {
    res.resume();
    fs.rmSync(partial, { force: true }); // our partial file is longer than the file: start over
    throw new HubDownloadError("incomplete", `the server rejected resuming ${ref.filename} at byte ${offset} (HTTP 416); starting over`, { url });
  } else {
    res.resume();
    throw httpError(status, url, ref, { ...hubHeaders, ...res.headers }, endpoint);
  }

  const sha256 = sha256From(hubHeaders) ?? (append ? meta?.sha256 : undefined);
  const etag = header(hubHeaders, "x-linked-etag") ?? header(res.headers, "etag");
  meta = { url, etag, total, sha256 };
  writeFileAtomic(metaPath, JSON.stringify(meta));

  const start = append ? offset : 0;
  const threshold = opts.progressThreshold ?? 10 * 1024 * 1024;
  const bar =
    opts.progress !== false && total != null && total >= threshold
      ? new ProgressBar({ total: Math.ceil(total / 1024), desc: ref.filename, unit: "kB", stream: opts.progressStream })
      : null;
  let received = start;
  let shownKb = Math.floor(start / 1024);
  if (bar && shownKb > 0) bar.update(shownKb);
  // Synchronous writes as chunks arrive: when the connection drops, every byte received is on disk to resume from.
  let fd: number;
  try {
    fd = fs.openSync(partial, append ? "a" : "w");
  } catch (err) {
    res.resume();
    throw new HubDownloadError("http", `cannot write ${partial}: ${(err as Error).message}`, { url });
  }
  try {
    await new Promise<void>((resolve, reject) => {
      let failed = false;
      const fail = (err: NodeJS.ErrnoException, writeError = false) => {
        if (failed) return;
        failed = true;
        res.destroy();
        if (writeError) {
          reject(new HubDownloadError("http", `cannot write ${partial}: ${err.message}`, { url }));
          return;
        }
        reject(
          new HubDownloadError(
            "incomplete",
            `download of ${finalUrl} stopped at ${received}${total != null ? ` of ${total}` : ""} bytes (${err.code ?? err.message}); ` +
              `the part is kept in ${partial} and resumed on the next try. ${NETWORK_HINT}`,
            { url },
          ),
        );
      };
      res.on("data", (chunk: Buffer) => {
        if (failed) return;
        try {
          fs.writeSync(fd, chunk);
        } catch (err) {
          fail(err as NodeJS.ErrnoException, true);
          return;
        }
        received += chunk.length;
        if (bar) {
          const kb = Math.floor(received / 1024);
          if (kb > shownKb) {
            bar.update(kb - shownKb);
            shownKb = kb;
          }
        }
      });
      res.on("error", (err: NodeJS.ErrnoException) => fail(err));
      res.on("end", () => {
        if (!failed) resolve();
      });
      res.on("close", () => {
        if (!res.complete) fail(Object.assign(new Error("connection closed early"), { code: "ECONNRESET" }));
      });
    });
    fs.fsyncSync(fd); // the rename below must not land before the bytes do
  } finally {
    fs.closeSync(fd);
    if (bar && total != null && received === total) bar.update(Math.ceil(total / 1024) - shownKb);
    bar?.close();
  }
  // The connection can close cleanly but early: the length is the check.
  const size = fs.statSync(partial).size;
  if (total != null && size !== total) {
    if (size > total) fs.rmSync(partial, { force: true });
    throw new HubDownloadError(
      "incomplete",
      `download of ${finalUrl} ended at ${size} of ${total} bytes (Content-Length); ${size < total ? `the part is kept in ${partial} and resumed on the next try` : "starting over"}`,
      { url },
    );
  }
  if (sha256) {
    const actual = await sha256OfFile(partial);
    if (actual !== sha256) {
      fs.rmSync(partial, { force: true });
      fs.rmSync(metaPath, { force: true });
      throw new HubDownloadError("integrity", `${ref.filename} of hub repo ${ref.repoId}: SHA-256 ${actual} does not match the hub's ${sha256}; the download was discarded`, { url });
    }
  }
  fs.renameSync(partial, finalPath);
  fs.rmSync(metaPath, { force: true });
}

/** One file `resolveModelFolder` needs; an optional one may be missing (404 on the hub). */
export interface HubFileSpec {
  name: string;
  optional?: boolean;
}

/** Paths that must be local folders, never hub ids. */
function looksLikePath(idOrPath: string): boolean {
  return (
    path.isAbsolute(idOrPath) ||
    /^(\.{1,2}|~)([\\/]|$)/.test(idOrPath) ||
    idOrPath.includes("\\") ||
    idOrPath.split("/").length > 2
  );
}

function noExistMarker(folder: string, name: string): string {
  return path.join(folder, ".no_exist", ...name.split("/"));
}

/**
 * A local folder (used as is) or a hub repo id (its files downloaded into the cache): returns the folder
 * holding `files`. Required files must exist; optional ones may be missing (a 404 is remembered in the
 * cache, under `.no_exist/`, so a cache hit makes no request).
 */
export async function resolveModelFolder(idOrPath: string, files: (string | HubFileSpec)[], opts: HubDownloadOptions = {}): Promise<string> {
  const specs = files.map((f) => (typeof f === "string" ? { name: f, optional: false } : { name: f.name, optional: f.optional === true }));
  const local = path.resolve(expandHome(idOrPath));
  if (looksLikePath(idOrPath) || isDir(local)) {
    if (!fs.existsSync(local)) throw new HubDownloadError("not-found", `model folder ${local} does not exist`);
    if (!isDir(local)) throw new HubDownloadError("invalid", `${local} is a file, not a model folder`);
    const missing = specs.filter((s) => !s.optional && !isFile(path.join(local, s.name))).map((s) => s.name);
    if (missing.length > 0) {
      throw new HubDownloadError("not-found", `model folder ${local} lacks ${missing.join(", ")} (needed: ${specs.filter((s) => !s.optional).map((s) => s.name).join(", ")})`);
    }
    return local;
  }
  const revision = opts.revision ?? "main";
  if (!REPO_ID.test(idOrPath)) {
    throw new HubDownloadError("invalid", `${JSON.stringify(idOrPath)} is neither a local folder nor a hub repo id ("name" or "owner/name")`);
  }
  checkNames(idOrPath, "x", revision);
  const folder = path.join(hubCacheDir(opts.cacheDir), ...idOrPath.split("/"), ...revision.split("/"));
  for (const spec of specs) {
    const marker = noExistMarker(folder, spec.name);
    if (spec.optional && !opts.forceDownload && isFile(marker)) continue;
    try {
      await hfHubDownload(idOrPath, spec.name, opts);
    } catch (err) {
      if (err instanceof HubDownloadError && !spec.optional && (err.code === "repo-not-found" || err.code === "offline")) {
        // Maybe a local folder was meant: say that there is none.
        throw new HubDownloadError(err.code, `${err.message} (there is no local folder ${local} either)`, { url: err.url, status: err.status });
      }
      if (!spec.optional || !(err instanceof HubDownloadError)) throw err;
      if (err.code === "offline") continue; // unknown offline: treat as absent
      if (err.code !== "not-found") throw err;
      fs.mkdirSync(path.dirname(marker), { recursive: true });
      writeFileAtomic(marker, "");
    }
  }
  return folder;
}
