import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { hfHubDownload, hubCachePath, hubFileUrl, HubDownloadError, resolveModelFolder } from "../lib/hub/download";
import type { ProgressStream } from "../lib/notebook";
import { closedPort, startHubServer } from "./helpers/hub-server";
import type { HubServer } from "./helpers/hub-server";

// The suite must not depend on the developer's shell.
for (const name of ["HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_ENDPOINT", "HOLLM_HF_CACHE", "HOLLM_PROGRESS"]) {
  delete process.env[name];
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "hollm-hub-"));
const root = path.join(tmp, "hub");
const weights = crypto.randomBytes(200_000); // big enough to cut mid-body
let cacheCount = 0;

function put(rel: string, data: string | Buffer): void {
  const p = path.join(root, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, data);
}

/** A fresh, empty cache folder per test. */
function freshCache(): string {
  return path.join(tmp, `cache-${++cacheCount}`);
}

/** Run fn and return the HubDownloadError it throws. */
async function hubError(fn: () => Promise<unknown>): Promise<HubDownloadError> {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof HubDownloadError, `expected HubDownloadError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected an error");
}

put("acme/tiny/main/config.json", '{"model_type": "tiny"}\n');
put("acme/tiny/main/weights.bin", weights);
put("acme/tiny/main/onnx/model.onnx", "not really onnx");
put("acme/tiny/v1/config.json", '{"model_type": "tiny", "version": 1}\n');
put("solo/main/config.json", "{}");

let hub: HubServer;
before(async () => {
  hub = await startHubServer({ root });
});
after(async () => {
  await hub.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe("hfHubDownload", () => {
  test("downloads through the hub's redirect into <cache>/<repo>/<revision>/<file>", async () => {
    const cacheDir = freshCache();
    const before = hub.requests.length;
    const file = await hfHubDownload("acme/tiny", "config.json", { endpoint: hub.url, cacheDir });
    assert.equal(file, path.join(cacheDir, "acme", "tiny", "main", "config.json"));
    assert.equal(fs.readFileSync(file, "utf8"), '{"model_type": "tiny"}\n');
    const seen = hub.requests.slice(before);
    assert.deepEqual(seen.map((r) => r.status), [302, 200], "the resolve URL redirects to the CDN");
    assert.equal(seen[0].path, "/acme/tiny/resolve/main/config.json");
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ["config.json"], "no .incomplete, .lock or meta files left");
  });

  test("a cached file is returned without any request", async () => {
    const cacheDir = freshCache();
    await hfHubDownload("acme/tiny", "config.json", { endpoint: hub.url, cacheDir });
    const before = hub.requests.length;
    const file = await hfHubDownload("acme/tiny", "config.json", { endpoint: hub.url, cacheDir });
    assert.equal(hub.requests.length, before);
    assert.ok(fs.existsSync(file));
  });

  test("revisions, nested files and one-part repo ids get their own cache paths", async () => {
    const cacheDir = freshCache();
    const v1 = await hfHubDownload("acme/tiny", "config.json", { endpoint: hub.url, cacheDir, revision: "v1" });
    assert.equal(v1, path.join(cacheDir, "acme", "tiny", "v1", "config.json"));
    assert.match(fs.readFileSync(v1, "utf8"), /"version": 1/);
    const nested = await hfHubDownload("acme/tiny", "onnx/model.onnx", { endpoint: hub.url, cacheDir });
    assert.equal(nested, path.join(cacheDir, "acme", "tiny", "main", "onnx", "model.onnx"));
    const solo = await hfHubDownload("solo", "config.json", { endpoint: hub.url, cacheDir });
    assert.equal(solo, path.join(cacheDir, "solo", "main", "config.json"));
  });

  test("a cut download fails clearly, leaves no file at the final path, and the next call resumes with Range", async () => {
    const cacheDir = freshCache();
    const final = hubCachePath("acme/tiny", "weights.bin", { cacheDir });
    hub.cutNext(50_000);
    const err = await hubError(() => hfHubDownload("acme/tiny", "weights.bin", { endpoint: hub.url, cacheDir, retries: 0 }));
    assert.equal(err.code, "incomplete");
    assert.match(err.message, /stopped at 50000 of 200000 bytes/);
    assert.match(err.message, /resumed on the next try/);
    assert.ok(!fs.existsSync(final), "no partial file at the final path");
    assert.equal(fs.statSync(`${final}.incomplete`).size, 50_000);

    const before = hub.requests.length;
    const file = await hfHubDownload("acme/tiny", "weights.bin", { endpoint: hub.url, cacheDir });
    const cdn = hub.requests.slice(before).filter((r) => r.path.startsWith("/cdn/"));
    assert.equal(cdn.length, 1);
    assert.equal(cdn[0].range, "bytes=50000-");
    assert.equal(cdn[0].status, 206);
    assert.equal(cdn[0].bytes, 150_000, "only the missing part was sent");
    assert.ok(cdn[0].ifRange, "If-Range guards against a changed file");
    assert.ok(fs.readFileSync(file).equals(weights), "final bytes identical");
    assert.ok(!fs.existsSync(`${final}.incomplete`));
  });

  test("one call resumes by itself after a dropped connection (retries)", async () => {
    const cacheDir = freshCache();
    hub.cutNext(1000);
    hub.cutNext(70_000);
    const before = hub.requests.length;
    const file = await hfHubDownload("acme/tiny", "weights.bin", { endpoint: hub.url, cacheDir });
    const ranges = hub.requests.slice(before).filter((r) => r.path.startsWith("/cdn/")).map((r) => r.range);
    assert.deepEqual(ranges, [undefined, "bytes=1000-", "bytes=71000-"]);
    assert.ok(fs.readFileSync(file).equals(weights));
  });

  test("a resumed file that does not match the hub's SHA-256 is discarded", async () => {
    const cacheDir = freshCache();
    const final = hubCachePath("acme/tiny", "weights.bin", { cacheDir });
    fs.mkdirSync(path.dirname(final), { recursive: true });
    fs.writeFileSync(`${final}.incomplete`, Buffer.alloc(1000, 7)); // wrong bytes, right length so far
    const url = hubFileUrl("acme/tiny", "weights.bin", { endpoint: hub.url });
    fs.writeFileSync(`${final}.incomplete.json`, JSON.stringify({ url }));
    const err = await hubError(() => hfHubDownload("acme/tiny", "weights.bin", { endpoint: hub.url, cacheDir, retries: 0 }));
    assert.equal(err.code, "integrity");
    assert.match(err.message, /SHA-256 .* does not match/);
    assert.ok(!fs.existsSync(final) && !fs.existsSync(`${final}.incomplete`));
    const file = await hfHubDownload("acme/tiny", "weights.bin", { endpoint: hub.url, cacheDir });
    assert.ok(fs.readFileSync(file).equals(weights));
  });

  test("a partial file from a changed remote file is replaced (If-Range answered with the whole file)", async () => {
    const cacheDir = freshCache();
    const final = hubCachePath("acme/tiny", "weights.bin", { cacheDir });
    fs.mkdirSync(path.dirname(final), { recursive: true });
    fs.writeFileSync(`${final}.incomplete`, Buffer.alloc(1000, 7));
    const url = hubFileUrl("acme/tiny", "weights.bin", { endpoint: hub.url });
    fs.writeFileSync(`${final}.incomplete.json`, JSON.stringify({ url, etag: '"an-older-version"' }));
    const before = hub.requests.length;
    const file = await hfHubDownload("acme/tiny", "weights.bin", { endpoint: hub.url, cacheDir });
    const cdn = hub.requests.slice(before).filter((r) => r.path.startsWith("/cdn/"));
    assert.equal(cdn[0].status, 200);
    assert.ok(fs.readFileSync(file).equals(weights));
  });

  test("concurrent calls for one file share one download", async () => {
    const cacheDir = freshCache();
    const before = hub.requests.length;
    const [a, b] = await Promise.all([
      hfHubDownload("acme/tiny", "weights.bin", { endpoint: hub.url, cacheDir }),
      hfHubDownload("acme/tiny", "weights.bin", { endpoint: hub.url, cacheDir }),
    ]);
    assert.equal(a, b);
    assert.equal(hub.requests.length - before, 2, "one resolve + one CDN request");
  });

  test("404: file X not found in repo Y at revision Z", async () => {
    const err = await hubError(() => hfHubDownload("acme/tiny", "nope.json", { endpoint: hub.url, cacheDir: freshCache() }));
    assert.equal(err.code, "not-found");
    assert.match(err.message, /^file nope\.json not found in repo acme\/tiny at revision main/);
    const rev = await hubError(() => hfHubDownload("acme/tiny", "config.json", { endpoint: hub.url, cacheDir: freshCache(), revision: "v9" }));
    assert.equal(rev.code, "revision-not-found");
    assert.match(rev.message, /revision v9 not found/);
  });

  test("a missing repo says so and mentions HF_TOKEN for private repos", async () => {
    const err = await hubError(() => hfHubDownload("acme/ghost", "config.json", { endpoint: hub.url, cacheDir: freshCache() }));
    assert.equal(err.code, "repo-not-found");
    assert.match(err.message, /repository acme\/ghost not found .* HF_TOKEN/);
  });

  test("401: a gated repo needs a token; HF_TOKEN is sent as a Bearer token", async () => {
    const gated = await startHubServer({ root, token: "hf_secret" });
    try {
      const err = await hubError(() => hfHubDownload("acme/tiny", "config.json", { endpoint: gated.url, cacheDir: freshCache() }));
      assert.equal(err.code, "unauthorized");
      assert.equal(err.status, 401);
      assert.match(err.message, /config\.json of hub repo acme\/tiny .* needs an access token .*HF_TOKEN/);
      assert.doesNotMatch(err.message, /hf_secret/);
      process.env.HF_TOKEN = "hf_secret";
      try {
        const file = await hfHubDownload("acme/tiny", "config.json", { endpoint: gated.url, cacheDir: freshCache() });
        assert.ok(fs.existsSync(file));
      } finally {
        delete process.env.HF_TOKEN;
      }
      assert.equal(gated.requests.at(-2)!.authorization, "Bearer hf_secret");
    } finally {
      await gated.close();
    }
  });

  test("offline: served from the cache only; a cache miss names the repo and file and says it is offline", async () => {
    const cacheDir = freshCache();
    await hfHubDownload("acme/tiny", "config.json", { endpoint: hub.url, cacheDir });
    const before = hub.requests.length;
    process.env.HF_HUB_OFFLINE = "1";
    try {
      const file = await hfHubDownload("acme/tiny", "config.json", { endpoint: hub.url, cacheDir });
      assert.ok(fs.existsSync(file));
      const err = await hubError(() => hfHubDownload("acme/tiny", "weights.bin", { endpoint: hub.url, cacheDir }));
      assert.equal(err.code, "offline");
      assert.match(err.message, /offline mode .*weights\.bin of hub repo acme\/tiny \(revision main\) is not in the cache/);
    } finally {
      delete process.env.HF_HUB_OFFLINE;
    }
    assert.equal(hub.requests.length, before, "offline makes no request");
    const opt = await hubError(() => hfHubDownload("acme/tiny", "weights.bin", { endpoint: hub.url, cacheDir, offline: true }));
    assert.equal(opt.code, "offline");
  });

  test("connection refused: the error names the URL and suggests HF_ENDPOINT / offline mode", async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const err = await hubError(() => hfHubDownload("acme/tiny", "config.json", { endpoint, cacheDir: freshCache() }));
    assert.equal(err.code, "network");
    assert.ok(err.message.includes(`${endpoint}/acme/tiny/resolve/main/config.json`), err.message);
    assert.match(err.message, /ECONNREFUSED/);
    assert.match(err.message, /HF_ENDPOINT/);
    assert.match(err.message, /HF_HUB_OFFLINE=1/);
  });

  test("HF_ENDPOINT is read when no endpoint is given; a server without redirects works too", async () => {
    const direct = await startHubServer({ root, redirect: false });
    process.env.HF_ENDPOINT = `${direct.url}/`;
    try {
      const file = await hfHubDownload("acme/tiny", "config.json", { cacheDir: freshCache() });
      assert.ok(fs.existsSync(file));
      assert.deepEqual(direct.requests.map((r) => r.status), [200]);
    } finally {
      delete process.env.HF_ENDPOINT;
      await direct.close();
    }
  });

  test("large files draw a progress bar (threshold lowered here)", async () => {
    const writes: string[] = [];
    const stream: ProgressStream = { isTTY: false, write: (t: string) => writes.push(t) };
    await hfHubDownload("acme/tiny", "weights.bin", { endpoint: hub.url, cacheDir: freshCache(), progressThreshold: 100_000, progressStream: stream });
    assert.ok(writes.length >= 1);
    assert.match(writes.at(-1)!, /^weights\.bin: 100%\|.*\| 196\/196 /);
    const quiet: string[] = [];
    await hfHubDownload("acme/tiny", "config.json", { endpoint: hub.url, cacheDir: freshCache(), progressThreshold: 100_000, progressStream: { write: (t: string) => quiet.push(t) } });
    assert.equal(quiet.length, 0, "small files draw nothing");
  });

  test("names that could leave the cache folder are rejected", async () => {
    for (const [repo, file, rev] of [["../evil", "x", "main"], ["acme/tiny", "../../x", "main"], ["acme/tiny", "x", ".."], ["a/b/c", "x", "main"]]) {
      const err = await hubError(() => hfHubDownload(repo, file, { endpoint: hub.url, cacheDir: freshCache(), revision: rev }));
      assert.equal(err.code, "invalid", `${repo} ${file} ${rev}`);
    }
  });
});

describe("resolveModelFolder", () => {
  test("a local folder is used as is; a missing required file is named", async () => {
    const local = path.join(root, "acme", "tiny", "main");
    assert.equal(await resolveModelFolder(local, ["config.json", { name: "extra.json", optional: true }]), local);
    const err = await hubError(() => resolveModelFolder(local, ["config.json", "tokenizer.json"]));
    assert.match(err.message, new RegExp(`model folder ${local.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} lacks tokenizer\\.json`));
    const gone = await hubError(() => resolveModelFolder("./no/such/folder", ["config.json"]));
    assert.match(gone.message, /does not exist/);
  });

  test("a hub id downloads the files; an optional 404 is remembered, so a second call makes no request", async () => {
    const cacheDir = freshCache();
    const before = hub.requests.length;
    const folder = await resolveModelFolder("acme/tiny", ["config.json", { name: "special_tokens_map.json", optional: true }], { endpoint: hub.url, cacheDir });
    assert.equal(folder, path.join(cacheDir, "acme", "tiny", "main"));
    assert.ok(fs.existsSync(path.join(folder, "config.json")));
    assert.ok(!fs.existsSync(path.join(folder, "special_tokens_map.json")));
    const used = hub.requests.length - before;
    assert.equal(used, 3, "config.json (resolve + CDN) and one 404");
    await resolveModelFolder("acme/tiny", ["config.json", { name: "special_tokens_map.json", optional: true }], { endpoint: hub.url, cacheDir });
    assert.equal(hub.requests.length - before, used, "all from the cache");
    const err = await hubError(() => resolveModelFolder("acme/tiny", ["config.json", "tokenizer.json"], { endpoint: hub.url, cacheDir }));
    assert.equal(err.code, "not-found");
    assert.match(err.message, /file tokenizer\.json not found in repo acme\/tiny/);
  });
});
