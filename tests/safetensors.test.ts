import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { MAX_HEADER_BYTES, SafetensorsError, SafetensorsFile, halfToFloat, saveSafetensors, serializeSafetensors } from "../lib/models/safetensors";
import { Rng } from "../lib/util/random";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "safetensors-"));
const write = (name: string, bytes: Uint8Array) => {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, bytes);
  return file;
};
/** A file from a header object and a data section, for hand-made (and broken) cases. */
const handMade = (header: unknown, data: Uint8Array, name = "hand.safetensors") => {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return write(name, Buffer.concat([len, json, data]));
};
const open = (file: string) => {
  const f = SafetensorsFile.open(file);
  f.close();
  return f;
};

test("save and load round-trip F32, I32 and I64 with metadata; header padded to 8 bytes", () => {
  const file = path.join(tmp, "round.safetensors");
  saveSafetensors(file, {
    "b.weight": { shape: [2, 3], values: [1, -2, 3.5, 4, 5, 6] },
    "a.ids": { dtype: "I64", shape: [3], values: [7, -8, 2147483647] },
    "c.count": { dtype: "I32", shape: [], values: [42] },
  }, { format: "pt" });
  const headerLength = Number(fs.readFileSync(file).readBigUInt64LE(0));
  assert.equal((8 + headerLength) % 8, 0);
  const f = SafetensorsFile.open(file);
  assert.deepEqual(f.metadata, { format: "pt" });
  assert.deepEqual(f.names().sort(), ["a.ids", "b.weight", "c.count"]);
  assert.deepEqual(Array.from(f.tensor("b.weight").values), [1, -2, 3.5, 4, 5, 6]);
  assert.deepEqual(f.tensor("b.weight").shape, [2, 3]);
  assert.deepEqual(Array.from(f.tensor("a.ids").values), [7, -8, 2147483647]);
  assert.deepEqual(Array.from(f.tensor("c.count").values), [42]);
  f.close();
  assert.deepEqual(fs.readdirSync(tmp).filter((n) => n.includes(".tmp")), [], "no temporary file left behind");
});

test("F16 and BF16 decode to the same floats as their definitions", () => {
  // F16: 1.0 = 0x3c00, -2.0 = 0xc000, 65504 = 0x7bff, smallest subnormal 0x0001 = 2^-24.
  assert.equal(halfToFloat(0x3c00), 1);
  assert.equal(halfToFloat(0xc000), -2);
  assert.equal(halfToFloat(0x7bff), 65504);
  assert.equal(halfToFloat(0x0001), 2 ** -24);
  assert.equal(halfToFloat(0x7c00), Infinity);
  const f16 = Buffer.from(new Uint16Array([0x3c00, 0xc000]).buffer);
  // BF16 is the top half of an fp32: 1.5 = 0x3fc0, -0.5 = 0xbf00.
  const bf16 = Buffer.from(new Uint16Array([0x3fc0, 0xbf00]).buffer);
  const file = handMade({ h: { dtype: "F16", shape: [2], data_offsets: [0, 4] }, b: { dtype: "BF16", shape: [2], data_offsets: [4, 8] } }, Buffer.concat([f16, bf16]));
  const f = SafetensorsFile.open(file);
  assert.deepEqual(Array.from(f.tensor("h").values), [1, -2]);
  assert.deepEqual(Array.from(f.tensor("b").values), [1.5, -0.5]);
  f.close();
});

test("malformed files are refused with the file name and the problem", () => {
  const ok = serializeSafetensors({ w: { shape: [2], values: [1, 2] } });
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ["short", Buffer.from([1, 2, 3]), /too short for the 8-byte header length/],
    ["truncated-data", ok.subarray(0, ok.length - 1), /data_offsets \[0, 8\] lie outside the data section \(7 bytes\)/],
    ["truncated-header", ok.subarray(0, 12), /runs past the end/],
    ["padded", Buffer.concat([ok, Buffer.alloc(4)]), /data section has 12/],
  ];
  const huge = Buffer.alloc(16);
  huge.writeBigUInt64LE(BigInt(MAX_HEADER_BYTES + 1));
  cases.push(["huge-header", huge, /exceeds the 100000000-byte limit/]);
  for (const [name, bytes, message] of cases) {
    const file = write(`${name}.safetensors`, bytes);
    assert.throws(() => open(file), (e: unknown) => e instanceof SafetensorsError && message.test(e.message) && e.message.startsWith(file), name);
  }
  const data8 = Buffer.alloc(8);
  const headerCases: Array<[string, unknown, RegExp]> = [
    ["not-object", [1, 2], /header is not a JSON object/],
    ["dtype", { w: { dtype: "F128", shape: [2], data_offsets: [0, 8] } }, /tensor 'w': unsupported dtype "F128"/],
    ["shape", { w: { dtype: "F32", shape: [2, -1], data_offsets: [0, 8] } }, /shape must be a list of non-negative integers/],
    ["size", { w: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, /needs 12 bytes but data_offsets span 8/],
    ["range", { w: { dtype: "F32", shape: [4], data_offsets: [0, 16] } }, /outside the data section/],
    ["overlap", { a: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, b: { dtype: "F32", shape: [1], data_offsets: [4, 8] } }, /overlaps another tensor/],
    ["gap", { a: { dtype: "F32", shape: [1], data_offsets: [4, 8] } }, /gap before tensor 'a'/],
    ["metadata", { __metadata__: { n: 1 }, w: { dtype: "F32", shape: [2], data_offsets: [0, 8] } }, /__metadata__.n is not a string/],
  ];
  for (const [name, header, message] of headerCases) {
    const file = handMade(header, data8, `${name}.safetensors`);
    assert.throws(() => open(file), (e: unknown) => e instanceof SafetensorsError && message.test(e.message), name);
  }
  const notJson = Buffer.concat([Buffer.from([5, 0, 0, 0, 0, 0, 0, 0]), Buffer.from("{oops")]);
  assert.throws(() => open(write("json.safetensors", notJson)), /header is not valid JSON/);
  assert.throws(() => open(path.join(tmp, "missing.safetensors")), /missing.safetensors: cannot open \(ENOENT\)/);
});

test("fuzz: 3,000 mutated files give a valid read or a SafetensorsError, never anything else", () => {
  const base = serializeSafetensors({
    "h.0.w": { shape: [3, 4], values: Array.from({ length: 12 }, (_, i) => i / 7) },
    "h.0.b": { dtype: "I64", shape: [4], values: [1, 2, 3, 4] },
    "h.1.w": { dtype: "I32", shape: [2, 2], values: [5, 6, 7, 8] },
  }, { format: "pt" });
  const rng = new Rng(2026);
  const file = path.join(tmp, "fuzz.safetensors");
  let parsed = 0;
  let refused = 0;
  const started = Date.now();
  for (let i = 0; i < 3000; i++) {
    const bytes = Buffer.from(base);
    const kind = rng.int(4);
    let mutated: Buffer = bytes;
    if (kind === 0) mutated = bytes.subarray(0, rng.int(bytes.length)); // truncate
    else if (kind === 1) for (let k = 0; k <= rng.int(4); k++) bytes[rng.int(bytes.length)] ^= 1 << rng.int(8); // bit flips
    else if (kind === 2) bytes[8 + rng.int(Number(bytes.readBigUInt64LE(0)))] = "0123456789,[]{}\":-eE ."[rng.int(22)].charCodeAt(0); // header digits/punctuation
    else bytes.writeBigUInt64LE(BigInt(rng.int(2 ** 31)), 0); // lying header length
    fs.writeFileSync(file, mutated);
    try {
      const f = SafetensorsFile.open(file);
      for (const name of f.names()) {
        const t = f.tensor(name);
        assert.equal(t.values.length, t.shape.reduce((a, b) => a * b, 1));
      }
      f.close();
      parsed++;
    } catch (e) {
      assert.ok(e instanceof SafetensorsError, `mutation ${i} (kind ${kind}) threw ${(e as Error).stack}`);
      refused++;
    }
  }
  assert.ok(refused > 1000 && parsed > 10, `parsed ${parsed}, refused ${refused}`);
  assert.ok(Date.now() - started < 30_000, "fuzzing took too long (a hang?)");
});
