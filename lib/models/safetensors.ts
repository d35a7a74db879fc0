/**
 * The safetensors format (Hugging Face): an 8-byte little-endian header length N, N bytes of JSON
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {string: string}}`, then the
 * raw little-endian tensor bytes. Files are data from strangers: every field is checked before any
 * byte is interpreted, and every problem is a SafetensorsError naming the file.
 * Reading is lazy (one tensor at a time from a file descriptor), so multi-GB checkpoints need not
 * fit in one Buffer.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export type SafetensorsDtype = "F64" | "F32" | "F16" | "BF16" | "I64" | "I32" | "I16" | "I8" | "U8" | "BOOL";

const DTYPE_BYTES: Record<SafetensorsDtype, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
};

/** The reference implementation's bound; a larger header is refused before it is read. */
export const MAX_HEADER_BYTES = 100_000_000;

export class SafetensorsError extends Error {
  constructor(readonly file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = "SafetensorsError";
  }
}

export interface TensorEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Byte offsets into the data section (after the header). */
  begin: number;
  end: number;
}

/** Decoded tensor values: floats become Float32Array (fp32 compute), integers Int32Array. */
export interface TensorData {
  dtype: SafetensorsDtype;
  shape: number[];
  values: Float32Array | Int32Array | Uint8Array;
}

/** Parses and validates a header; `dataBytes` is the size of the data section. */
export function parseHeader(file: string, json: string, dataBytes: number): { entries: TensorEntry[]; metadata: Record<string, string> } {
  let header: unknown;
  try {
    header = JSON.parse(json);
  } catch (e) {
    throw new SafetensorsError(file, `header is not valid JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) {
    throw new SafetensorsError(file, "header is not a JSON object");
  }
  const entries: TensorEntry[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      metadata = checkMetadata(file, raw);
      continue;
    }
    entries.push(checkEntry(file, name, raw, dataBytes));
  }
  // Tensors must tile the data section exactly: no overlap, no hole, nothing past the end.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const e of sorted) {
    if (e.begin !== cursor) {
      throw new SafetensorsError(file, e.begin < cursor ? `tensor '${e.name}' overlaps another tensor` : `gap before tensor '${e.name}' (bytes ${cursor}..${e.begin} belong to no tensor)`);
    }
    cursor = e.end;
  }
  if (cursor !== dataBytes) {
    throw new SafetensorsError(file, `tensors cover ${cursor} bytes but the data section has ${dataBytes} (truncated or padded file)`);
  }
  return { entries, metadata };
}

function checkMetadata(file: string, raw: unknown): Record<string, string> {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw new SafetensorsError(file, "__metadata__ is not an object");
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof v !== "string") throw new SafetensorsError(file, `__metadata__.${k} is not a string`);
  }
  return raw as Record<string, string>;
}

function checkEntry(file: string, name: string, raw: unknown, dataBytes: number): TensorEntry {
  const where = `tensor '${name}'`;
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw new SafetensorsError(file, `${where} is not an object`);
  const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
  if (typeof dtype !== "string" || !(dtype in DTYPE_BYTES)) {
    throw new SafetensorsError(file, `${where}: unsupported dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(DTYPE_BYTES).join(", ")})`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new SafetensorsError(file, `${where}: shape must be a list of non-negative integers (got ${JSON.stringify(shape)})`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    throw new SafetensorsError(file, `${where}: data_offsets must be two non-negative integers (got ${JSON.stringify(offsets)})`);
  }
  const [begin, end] = offsets as number[];
  if (begin > end || end > dataBytes) {
    throw new SafetensorsError(file, `${where}: data_offsets [${begin}, ${end}] lie outside the data section (${dataBytes} bytes)`);
  }
  const count = (shape as number[]).reduce((a, b) => a * b, 1);
  const expected = count * DTYPE_BYTES[dtype as SafetensorsDtype];
  if (!Number.isSafeInteger(expected) || expected !== end - begin) {
    throw new SafetensorsError(file, `${where}: shape [${shape}] of ${dtype} needs ${expected} bytes but data_offsets span ${end - begin}`);
  }
  return { name, dtype: dtype as SafetensorsDtype, shape: shape as number[], begin, end };
}

/** An open safetensors file: the validated header, and tensors read on demand. */
export class SafetensorsFile {
  private constructor(
    readonly file: string,
    private readonly fd: number,
    private readonly dataStart: number,
    readonly entries: Map<string, TensorEntry>,
    readonly metadata: Record<string, string>,
  ) {}

  static open(file: string): SafetensorsFile {
    let fd: number;
    try {
      fd = fs.openSync(file, "r");
    } catch (e) {
      throw new SafetensorsError(file, `cannot open (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    try {
      const size = fs.fstatSync(fd).size;
      if (size < 8) throw new SafetensorsError(file, `file is ${size} bytes, too short for the 8-byte header length`);
      const lengthBytes = readExactly(file, fd, 0, 8);
      const headerLength = Number(lengthBytes.readBigUInt64LE(0));
      if (headerLength > MAX_HEADER_BYTES) throw new SafetensorsError(file, `header length ${headerLength} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
      if (8 + headerLength > size) throw new SafetensorsError(file, `header length ${headerLength} runs past the end of the ${size}-byte file (truncated?)`);
      const json = readExactly(file, fd, 8, headerLength).toString("utf8");
      const { entries, metadata } = parseHeader(file, json, size - 8 - headerLength);
      return new SafetensorsFile(file, fd, 8 + headerLength, new Map(entries.map((e) => [e.name, e])), metadata);
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  /** Raw bytes of one tensor, little-endian as stored. */
  rawBytes(name: string): Buffer {
    const entry = this.entry(name);
    return readExactly(this.file, this.fd, this.dataStart + entry.begin, entry.end - entry.begin);
  }

  /** One tensor decoded for fp32 compute: F16/BF16/F64 → Float32Array, integer types → Int32Array. */
  tensor(name: string): TensorData {
    const entry = this.entry(name);
    return { dtype: entry.dtype, shape: entry.shape, values: decode(this.file, entry, this.rawBytes(name)) };
  }

  close(): void {
    fs.closeSync(this.fd);
  }

  private entry(name: string): TensorEntry {
    const entry = this.entries.get(name);
    if (!entry) throw new SafetensorsError(this.file, `no tensor named '${name}'`);
    return entry;
  }
}

function readExactly(file: string, fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, buffer, done, length - done, position + done);
    if (n === 0) throw new SafetensorsError(file, `unexpected end of file at byte ${position + done}`);
    done += n;
  }
  return buffer;
}

function decode(file: string, entry: TensorEntry, bytes: Buffer): Float32Array | Int32Array | Uint8Array {
  const n = bytes.length / DTYPE_BYTES[entry.dtype];
  // Copy into an aligned buffer: a Buffer's byteOffset need not be a multiple of the element size.
  const aligned = new Uint8Array(bytes).buffer;
  switch (entry.dtype) {
    case "F32":
      return new Float32Array(aligned);
    case "F64":
      return Float32Array.from(new Float64Array(aligned));
    case "F16":
      return Float32Array.from(new Uint16Array(aligned), halfToFloat);
    case "BF16": {
      const out = new Uint32Array(n);
      const src = new Uint16Array(aligned);
      for (let i = 0; i < n; i++) out[i] = src[i] << 16;
      return new Float32Array(out.buffer);
    }
    case "I32":
      return new Int32Array(aligned);
    case "I16":
      return Int32Array.from(new Int16Array(aligned));
    case "I8":
      return Int32Array.from(new Int8Array(aligned));
    case "U8":
    case "BOOL":
      return new Uint8Array(aligned);
    case "I64": {
      const src = new BigInt64Array(aligned);
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        if (src[i] > 2147483647n || src[i] < -2147483648n) {
          throw new SafetensorsError(file, `tensor '${entry.name}': I64 value ${src[i]} does not fit in int32`);
        }
        out[i] = Number(src[i]);
      }
      return out;
    }
  }
}

/** IEEE 754 half → float. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

export interface TensorToSave {
  dtype?: "F32" | "I32" | "I64";
  shape: number[];
  values: ArrayLike<number>;
}

/**
 * Serialises tensors to safetensors bytes, in name order with the header padded by spaces to a
 * multiple of 8 bytes (as the reference writer does, so data stays aligned).
 */
export function serializeSafetensors(tensors: Record<string, TensorToSave>, metadata?: Record<string, string>): Buffer {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const name of names) {
    const t = tensors[name];
    const dtype = t.dtype ?? "F32";
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.values.length) throw new Error(`serializeSafetensors: '${name}' has ${t.values.length} values for shape [${t.shape}]`);
    const bytes =
      dtype === "F32" ? Buffer.from(Float32Array.from(t.values).buffer)
      : dtype === "I32" ? Buffer.from(Int32Array.from(t.values).buffer)
      : Buffer.from(BigInt64Array.from(Array.from(t.values, (v) => BigInt(v))).buffer);
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    chunks.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  return Buffer.concat([length, Buffer.from(json, "utf8"), ...chunks]);
}

/** Writes a safetensors file atomically: a temporary file in the same folder, then a rename. */
export function saveSafetensors(file: string, tensors: Record<string, TensorToSave>, metadata?: Record<string, string>): void {
  writeFileAtomic(file, serializeSafetensors(tensors, metadata));
}

/** Temp file in the target's folder + rename, so readers never see a half-written file. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}
