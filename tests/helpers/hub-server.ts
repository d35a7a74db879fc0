/**
 * Test helper: a real HTTP server on 127.0.0.1 (port 0) that behaves like the Hugging Face Hub for
 * file downloads, serving a folder laid out as `<root>/<repoId>/<revision>/<filename>`.
 *
 *   GET /<repo>/resolve/<rev>/<file>  -> 302 to /cdn/<repo>/<rev>/<file> (with X-Linked-Etag = SHA-256,
 *                                        X-Linked-Size), or the bytes directly with `redirect: false`
 *   GET /cdn/<repo>/<rev>/<file>      -> the bytes (repo and rev escaped as one segment each), with Range / If-Range support and a strong ETag
 *   missing repo -> 401 X-Error-Code: RepoNotFound (as the hub answers anonymous callers)
 *   missing revision -> 404 RevisionNotFound; missing file -> 404 EntryNotFound
 *   `token` set -> /resolve/ without `Authorization: Bearer <token>` gets 401 GatedRepo
 * `cutNext(n)` makes the next body response stop after n bytes (the socket is destroyed mid-body).
 * Every request is logged in `requests`. Bounded: at most `maxRequests` answered (then 503), idle
 * sockets time out, and `close()` ends every connection.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as path from "path";

export interface HubServerOptions {
  /** Folder in the layout `<root>/<repoId>/<revision>/<filename>`. */
  root: string;
  /** Require `Authorization: Bearer <token>` on /resolve/ URLs. */
  token?: string;
  /** Answer /resolve/ with a redirect to /cdn/ (default true), as the hub does for LFS files. */
  redirect?: boolean;
  /** Send X-Linked-Etag (the SHA-256) on redirects (default true). */
  linkedEtag?: boolean;
  /** Answer at most this many requests, then 503 (default 500): a runaway client cannot loop forever. */
  maxRequests?: number;
}

export interface HubRequestLog {
  method: string;
  path: string;
  status: number;
  range?: string;
  ifRange?: string;
  authorization?: string;
  /** Bytes of body sent (less than the file when cut). */
  bytes: number;
}

export interface HubServer {
  /** Base URL, e.g. http://127.0.0.1:41234 (use as `endpoint` / HF_ENDPOINT). */
  url: string;
  requests: HubRequestLog[];
  /** The next `count` body responses stop after `afterBytes` bytes. */
  cutNext(afterBytes: number, count?: number): void;
  /** Requests whose path contains `part`. */
  requestsFor(part: string): HubRequestLog[];
  close(): Promise<void>;
}

function sha256(p: string): string {
  return crypto.createHash("sha256").update(fs.readFileSync(p)).digest("hex");
}

export async function startHubServer(opts: HubServerOptions): Promise<HubServer> {
  const root = path.resolve(opts.root);
  const requests: HubRequestLog[] = [];
  const maxRequests = opts.maxRequests ?? 500;
  const cuts: number[] = [];
  const redirect = opts.redirect !== false;

  /** The file under root for repo/rev/file, or an error answer; never a path outside root. */
  function locate(repo: string, rev: string, file: string): { file: string } | { status: number; code: string } {
    const repoDir = path.resolve(root, repo);
    const revDir = path.resolve(repoDir, rev);
    const target = path.resolve(revDir, file);
    if (!target.startsWith(root + path.sep)) return { status: 400, code: "BadRequest" };
    if (!fs.existsSync(repoDir)) return { status: 401, code: "RepoNotFound" };
    if (!fs.existsSync(revDir)) return { status: 404, code: "RevisionNotFound" };
    if (!fs.existsSync(target) || !fs.statSync(target).isFile()) return { status: 404, code: "EntryNotFound" };
    return { file: target };
  }

  function sendBody(req: http.IncomingMessage, res: http.ServerResponse, file: string, log: HubRequestLog): void {
    const data = fs.readFileSync(file);
    const etag = `"${sha256(file)}"`;
    let start = 0;
    let end = data.length;
    let status = 200;
    const range = req.headers.range;
    const ifRange = req.headers["if-range"];
    res.setHeader("accept-ranges", "bytes");
    res.setHeader("etag", etag);
    if (range && (ifRange == null || ifRange === etag)) {
      // "bytes=a-" (resume) and "bytes=a-b" (transformers.js probes sizes with bytes=0-0), as the hub serves them.
      const m = /^bytes=(\d+)-(\d*)$/.exec(range);
      if (!m || Number(m[1]) >= data.length || (m[2] !== "" && Number(m[2]) < Number(m[1]))) {
        res.writeHead(416, { "content-range": `bytes */${data.length}` });
        log.status = 416;
        res.end();
        return;
      }
      start = Number(m[1]);
      end = m[2] === "" ? data.length : Math.min(Number(m[2]) + 1, data.length);
      status = 206;
      res.setHeader("content-range", `bytes ${start}-${end - 1}/${data.length}`);
    }
    const body = data.subarray(start, end);
    res.writeHead(status, { "content-length": String(body.length), "content-type": "application/octet-stream" });
    log.status = status;
    const cut = cuts.length > 0 ? cuts.shift()! : null;
    if (cut != null && cut < body.length) {
      log.bytes = cut;
      // Send part of the body, then drop the connection: the client sees a premature close.
      res.write(body.subarray(0, cut), () => setImmediate(() => res.socket?.destroy()));
      return;
    }
    log.bytes = body.length;
    res.end(body);
  }

  function fail(res: http.ServerResponse, log: HubRequestLog, status: number, code: string, message: string): void {
    log.status = status;
    res.writeHead(status, { "content-type": "application/json", "x-error-code": code });
    res.end(JSON.stringify({ error: message }));
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const log: HubRequestLog = {
      method: req.method ?? "GET",
      path: url.pathname,
      status: 0,
      range: req.headers.range,
      ifRange: req.headers["if-range"] as string | undefined,
      authorization: req.headers.authorization,
      bytes: 0,
    };
    requests.push(log);
    if (requests.length > maxRequests) return fail(res, log, 503, "TooManyRequests", "test server request limit reached");
    let segments: string[];
    try {
      segments = url.pathname.split("/").slice(1).map(decodeURIComponent);
    } catch {
      return fail(res, log, 400, "BadRequest", "malformed URL escape");
    }
    if (segments[0] === "cdn") {
      // /cdn/<repo>/<rev>/<file...>, repo and rev each one escaped segment.
      const found = locate(segments[1] ?? "", segments[2] ?? "", segments.slice(3).join("/"));
      if ("file" in found) return sendBody(req, res, found.file, log);
      return fail(res, log, 404, "EntryNotFound", "not on the CDN");
    }
    const at = segments.indexOf("resolve");
    if (at < 1 || at > 2 || segments.length < at + 3) return fail(res, log, 404, "NotFound", "not a /resolve/ URL");
    const repo = segments.slice(0, at).join("/");
    const rev = segments[at + 1];
    const file = segments.slice(at + 2).join("/");
    if (opts.token && req.headers.authorization !== `Bearer ${opts.token}`) {
      return fail(res, log, 401, "GatedRepo", `Access to model ${repo} is restricted. You must be authenticated.`);
    }
    const found = locate(repo, rev, file);
    if (!("file" in found)) return fail(res, log, found.status, found.code, `${found.code}: ${repo}/${rev}/${file}`);
    if (!redirect) return sendBody(req, res, found.file, log);
    const cdn = `/cdn/${encodeURIComponent(repo)}/${encodeURIComponent(rev)}/${file.split("/").map(encodeURIComponent).join("/")}`;
    const headers: Record<string, string> = {
      location: `http://127.0.0.1:${(server.address() as AddressInfo).port}${cdn}`,
      "x-linked-size": String(fs.statSync(found.file).size),
    };
    if (opts.linkedEtag !== false) headers["x-linked-etag"] = `"${sha256(found.file)}"`;
    log.status = 302;
    res.writeHead(302, headers);
    res.end();
  });
  server.keepAliveTimeout = 1000;
  server.headersTimeout = 5000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    cutNext(afterBytes: number, count = 1) {
      for (let i = 0; i < count; i++) cuts.push(afterBytes);
    },
    requestsFor(part: string) {
      return requests.filter((r) => r.path.includes(part));
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** A port on 127.0.0.1 that nothing listens on (taken from a server that was closed at once). */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
