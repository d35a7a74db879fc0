/**
 * A small reader for R's serialization format: enough to get data (character
 * vectors, lists, factors, data frames) out of .rds / .rda / .RData files and
 * out of an installed package's lazy-load database (.rdx index + .rdb blocks).
 *
 * Supported: XDR ("X\n") streams, format versions 2 and 3; gzip, zlib and
 * uncompressed input (bzip2/xz through the `bzip2`/`xz` command-line tools when
 * they are on PATH); every SEXP type R writes, including pairlists, closures,
 * environments, byte code and the common ALTREP classes (compact sequences,
 * wrappers, deferred strings). Not supported: ASCII ("A\n") and native binary
 * ("B\n") streams.
 *
 * Every problem with the input raises an `RDataError` whose message names the
 * file (or the label given for in-memory data), the problem, and the byte
 * offset where it was seen.
 *
 * Reference: R's src/main/serialize.c and src/library/base/R/lazyload.R.
 */
import * as fs from "fs";
import * as zlib from "zlib";
import { spawnSync } from "child_process";

// ---------------------------------------------------------------------------
// Object model
// ---------------------------------------------------------------------------

/** Attributes of an R object, in the order R stored them. */
export type RAttributes = Map<string, RObject>;

interface RBase {
  /** Attributes (names, class, levels, dim, row.names, ...), or null when none. */
  attributes: RAttributes | null;
  /** R's OBJECT bit: set when the object has a class attribute. */
  object: boolean;
}

export interface RNull {
  kind: "NULL";
}
export interface RSymbol {
  kind: "symbol";
  name: string;
}
export interface RLogical extends RBase {
  kind: "logical";
  /** null is NA. */
  data: Array<boolean | null>;
}
export interface RInteger extends RBase {
  kind: "integer";
  /** NA is NA_INTEGER (-2147483648); see `isNAInteger`. */
  data: Int32Array;
}
export interface RDouble extends RBase {
  kind: "double";
  /** NA is stored as a NaN (R distinguishes NA from NaN by payload; `isNAReal` tells). */
  data: Float64Array;
}
export interface RComplex extends RBase {
  kind: "complex";
  /** Interleaved (re, im) pairs. */
  data: Float64Array;
}
export interface RCharacter extends RBase {
  kind: "character";
  /** null is NA_character_. */
  data: Array<string | null>;
}
export interface RList extends RBase {
  kind: "list" | "expression";
  data: RObject[];
}
export interface RRaw extends RBase {
  kind: "raw";
  data: Uint8Array;
}
export interface RPairlistItem {
  tag: string | null;
  value: RObject;
}
/** A pairlist (LISTSXP), a call (LANGSXP) or `...` (DOTSXP), unrolled into an array. */
export interface RPairlist extends RBase {
  kind: "pairlist" | "language" | "dots";
  items: RPairlistItem[];
  /** The final CDR when it is not NULL (an "improper" pairlist, e.g. ALTREP states built with CONS(x, info)). */
  tail?: RObject;
}
export interface RClosure extends RBase {
  kind: "closure";
  formals: RObject;
  body: RObject;
  environment: RObject;
}
export interface RPromise extends RBase {
  kind: "promise";
  value: RObject;
  expression: RObject;
  environment: RObject;
}
export interface REnvironment extends RBase {
  kind: "environment";
  locked: boolean;
  enclos: RObject;
  frame: RObject;
  hashtab: RObject;
}
/** One of R's singleton environments or markers. */
export interface RSpecial {
  kind: "special";
  name: "globalenv" | "emptyenv" | "baseenv" | "basenamespace" | "missingarg" | "unboundvalue";
}
/** A reference to a namespace or package environment, by its name/version strings. */
export interface RNamespaceRef {
  kind: "namespace" | "package";
  info: string[];
}
/** An object written through a persistence hook (lazy-load databases use it for environments). */
export interface RPersistent {
  kind: "persistent";
  names: string[];
  /** What the hook resolved it to, when a hook was given. */
  value: RObject | null;
}
export interface RBuiltin {
  kind: "builtin" | "specialfun";
  name: string;
}
export interface RS4 extends RBase {
  kind: "S4";
}
export interface RBytecode {
  kind: "bytecode";
  code: RObject;
  consts: RObject[];
}
export interface RExternalPtr extends RBase {
  kind: "externalptr";
  protected: RObject;
  tag: RObject;
}
export interface RWeakRef extends RBase {
  kind: "weakref";
}

export type RObject =
  | RNull
  | RSymbol
  | RLogical
  | RInteger
  | RDouble
  | RComplex
  | RCharacter
  | RList
  | RRaw
  | RPairlist
  | RClosure
  | RPromise
  | REnvironment
  | RSpecial
  | RNamespaceRef
  | RPersistent
  | RBuiltin
  | RS4
  | RBytecode
  | RExternalPtr
  | RWeakRef;

export const NA_INTEGER = -2147483648;
export const R_NULL: RNull = { kind: "NULL" };

/** Error for malformed or unsupported input; the message names the file and the problem. */
export class RDataError extends Error {
  readonly file: string;
  readonly problem: string;
  readonly offset: number | undefined;
  constructor(file: string, problem: string, offset?: number) {
    super(`${file}: ${problem}${offset === undefined ? "" : ` (at byte ${offset})`}`);
    this.name = "RDataError";
    this.file = file;
    this.problem = problem;
    this.offset = offset;
  }
}

// ---------------------------------------------------------------------------
// SEXP type codes (Rinternals.h, serialize.c)
// ---------------------------------------------------------------------------

const NILSXP = 0;
const SYMSXP = 1;
const LISTSXP = 2;
const CLOSXP = 3;
const ENVSXP = 4;
const PROMSXP = 5;
const LANGSXP = 6;
const SPECIALSXP = 7;
const BUILTINSXP = 8;
const CHARSXP = 9;
const LGLSXP = 10;
const INTSXP = 13;
const REALSXP = 14;
const CPLXSXP = 15;
const STRSXP = 16;
const DOTSXP = 17;
const VECSXP = 19;
const EXPRSXP = 20;
const BCODESXP = 21;
const EXTPTRSXP = 22;
const WEAKREFSXP = 23;
const RAWSXP = 24;
const S4SXP = 25;

const REFSXP = 255;
const NILVALUE_SXP = 254;
const GLOBALENV_SXP = 253;
const UNBOUNDVALUE_SXP = 252;
const MISSINGARG_SXP = 251;
const BASENAMESPACE_SXP = 250;
const NAMESPACESXP = 249;
const PACKAGESXP = 248;
const PERSISTSXP = 247;
const CLASSREFSXP = 246;
const GENERICREFSXP = 245;
const BCREPDEF = 244;
const EMPTYENV_SXP = 242;
const BASEENV_SXP = 241;
const ATTRLANGSXP = 240;
const ATTRLISTSXP = 239;
const ALTREP_SXP = 238;
const BCREPREF = 243;

const IS_OBJECT_BIT = 1 << 8;
const HAS_ATTR_BIT = 1 << 9;
const HAS_TAG_BIT = 1 << 10;

// CHARSXP encoding flags, stored in the "levels" bits (flags >> 12).
const BYTES_MASK = 1 << 1;
const LATIN1_MASK = 1 << 2;
const UTF8_MASK = 1 << 3;
const ASCII_MASK = 1 << 6;

// ---------------------------------------------------------------------------
// Decompression
// ---------------------------------------------------------------------------

function externalDecompress(tool: string, bytes: Uint8Array, source: string, what: string): Buffer {
  const r = spawnSync(tool, ["-dc"], { input: bytes, maxBuffer: 1 << 30 });
  if (r.error) {
    throw new RDataError(source, `${what}-compressed data needs the '${tool}' command, which could not be run (${r.error.message})`);
  }
  if (r.status !== 0) {
    throw new RDataError(source, `corrupt ${what} data: ${tool} -dc failed: ${String(r.stderr).trim()}`);
  }
  return r.stdout;
}

/**
 * Undo the whole-file compression R applies to .rds/.rda files (gzip by
 * default; bzip2 and xz are recognised by their magic bytes). Uncompressed
 * input is returned as is.
 */
export function decompressFile(bytes: Uint8Array, source: string): Uint8Array {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      return zlib.gunzipSync(bytes);
    } catch (e) {
      throw new RDataError(source, `corrupt gzip data: ${(e as Error).message}`);
    }
  }
  if (bytes.length >= 3 && bytes[0] === 0x42 && bytes[1] === 0x5a && bytes[2] === 0x68) {
    return externalDecompress("bzip2", bytes, source, "bzip2");
  }
  if (bytes.length >= 6 && bytes[0] === 0xfd && bytes[1] === 0x37 && bytes[2] === 0x7a && bytes[3] === 0x58 && bytes[4] === 0x5a) {
    return externalDecompress("xz", bytes, source, "xz");
  }
  return bytes;
}

// ---------------------------------------------------------------------------
// The unserializer
// ---------------------------------------------------------------------------

export interface UnserializeOptions {
  /** Name used in error messages (a file path, or "<name>.rdb[variable]"). */
  source?: string;
  /** Resolves objects written by a persistence hook (PERSISTSXP). */
  persistentHook?: (names: string[]) => RObject | null;
}

class Reader {
  private pos = 0;
  private readonly view: DataView;
  private readonly refs: RObject[] = [];
  private nativeEncoding = "UTF-8";
  private readonly utf8 = new TextDecoder("utf-8", { fatal: true });

  constructor(
    private readonly buf: Uint8Array,
    private readonly source: string,
    private readonly hook: ((names: string[]) => RObject | null) | undefined,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get offset(): number {
    return this.pos;
  }

  fail(problem: string, at: number = this.pos): never {
    throw new RDataError(this.source, problem, at);
  }

  private need(n: number, what: string): void {
    if (this.pos + n > this.buf.length) {
      this.fail(`unexpected end of data reading ${what}: need ${n} byte(s), ${this.buf.length - this.pos} left`);
    }
  }

  int(what = "an integer"): number {
    this.need(4, what);
    const v = this.view.getInt32(this.pos, false);
    this.pos += 4;
    return v;
  }

  double(): number {
    this.need(8, "a double");
    const v = this.view.getFloat64(this.pos, false);
    this.pos += 8;
    return v;
  }

  bytes(n: number, what: string): Uint8Array {
    this.need(n, what);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  /** Vector length: an int, or -1 followed by two ints for long vectors. */
  length(elementBytes: number, what: string): number {
    const at = this.pos;
    let n = this.int(`the length of ${what}`);
    if (n === -1) {
      const hi = this.int(`the length of ${what}`);
      const lo = this.int(`the length of ${what}`);
      n = hi * 4294967296 + (lo >>> 0);
    } else if (n < 0) {
      this.fail(`negative length ${n} for ${what}`, at);
    }
    // Every element takes at least `elementBytes` bytes, so a length the rest
    // of the input cannot hold is corruption, not a reason to allocate.
    if (n * elementBytes > this.buf.length - this.pos) {
      this.fail(`length ${n} of ${what} exceeds the ${this.buf.length - this.pos} byte(s) left`, at);
    }
    return n;
  }

  header(): void {
    this.need(2, "the format header");
    const a = this.buf[0];
    const b = this.buf[1];
    if (b !== 0x0a || (a !== 0x58 && a !== 0x41 && a !== 0x42)) {
      this.fail(`not an R serialization stream: starts with ${hexPreview(this.buf)} (expected "X\\n")`, 0);
    }
    if (a === 0x41) this.fail('ASCII serialization ("A\\n") is not supported; re-save with ascii = FALSE', 0);
    if (a === 0x42) this.fail('native binary serialization ("B\\n") is not supported; re-save with xdr = TRUE', 0);
    this.pos = 2;
    const at = this.pos;
    const version = this.int("the format version");
    if (version !== 2 && version !== 3) {
      this.fail(`unsupported serialization format version ${version} (supported: 2, 3)`, at);
    }
    this.int("the writer's R version");
    this.int("the minimal reader R version");
    if (version === 3) {
      const n = this.length(1, "the native encoding name");
      this.nativeEncoding = Buffer.from(this.bytes(n, "the native encoding name")).toString("latin1");
    }
  }

  private decodeChars(raw: Uint8Array, levels: number, at: number): string {
    if (levels & LATIN1_MASK) return Buffer.from(raw).toString("latin1");
    if (levels & BYTES_MASK) return Buffer.from(raw).toString("latin1");
    const native = this.nativeEncoding.toLowerCase().replace(/[^a-z0-9]/g, "");
    if (!(levels & (UTF8_MASK | ASCII_MASK)) && (native === "latin1" || native === "iso88591" || native === "cp1252")) {
      return Buffer.from(raw).toString("latin1");
    }
    try {
      return this.utf8.decode(raw);
    } catch {
      if (levels & (UTF8_MASK | ASCII_MASK)) {
        this.fail(`string marked ${levels & UTF8_MASK ? "UTF-8" : "ASCII"} is not valid UTF-8: ${hexPreview(raw)}`, at);
      }
      // Unmarked string in an unknown native encoding: latin1 keeps every byte.
      return Buffer.from(raw).toString("latin1");
    }
  }

  /** Read a CHARSXP whose flags word has already been read. */
  private charsxp(flags: number, at: number): string | null {
    const n = this.int("the length of a string");
    if (n === -1) return null; // NA_STRING
    if (n < 0) this.fail(`negative string length ${n}`, at);
    const raw = this.bytes(n, `a string of ${n} byte(s)`);
    return this.decodeChars(raw, flags >> 12, at);
  }

  /** Read an item that must be a CHARSXP (or NA). */
  private stringItem(what: string): string | null {
    const at = this.pos;
    const flags = this.int(what);
    const type = flags & 0xff;
    if (type !== CHARSXP) this.fail(`expected a string (CHARSXP) for ${what}, found SEXP type ${typeName(type)}`, at);
    return this.charsxp(flags, at);
  }

  private stringVec(what: string): string[] {
    const at = this.pos;
    if (this.int(what) !== 0) this.fail(`malformed ${what}: expected a 0 marker`, at);
    const n = this.length(8, what);
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(this.stringItem(what) ?? "NA");
    return out;
  }

  private attributesFrom(obj: RObject, at: number): RAttributes {
    if (obj.kind === "NULL") return new Map();
    if (obj.kind !== "pairlist") this.fail(`attributes must be a pairlist, found ${obj.kind}`, at);
    const m: RAttributes = new Map();
    for (const it of obj.items) m.set(it.tag ?? "", it.value);
    return m;
  }

  private readAttributes(): RAttributes {
    const at = this.pos;
    return this.attributesFrom(this.item(), at);
  }

  private tagName(obj: RObject, at: number): string | null {
    if (obj.kind === "NULL") return null;
    if (obj.kind === "symbol") return obj.name;
    // R allows any object as a tag, but in practice tags are symbols.
    this.fail(`pairlist tag must be a symbol, found ${obj.kind}`, at);
  }

  item(): RObject {
    const at = this.pos;
    const flags = this.int("an item header");
    return this.itemWithFlags(flags, at);
  }

  private itemWithFlags(flags: number, at: number): RObject {
    const type = flags & 0xff;
    const hasAttr = (flags & HAS_ATTR_BIT) !== 0;
    const hasTag = (flags & HAS_TAG_BIT) !== 0;
    const isObj = (flags & IS_OBJECT_BIT) !== 0;

    switch (type) {
      case NILVALUE_SXP:
        return R_NULL;
      case EMPTYENV_SXP:
        return { kind: "special", name: "emptyenv" };
      case BASEENV_SXP:
        return { kind: "special", name: "baseenv" };
      case GLOBALENV_SXP:
        return { kind: "special", name: "globalenv" };
      case UNBOUNDVALUE_SXP:
        return { kind: "special", name: "unboundvalue" };
      case MISSINGARG_SXP:
        return { kind: "special", name: "missingarg" };
      case BASENAMESPACE_SXP:
        return { kind: "special", name: "basenamespace" };
      case REFSXP: {
        let idx = flags >> 8;
        if (idx === 0) idx = this.int("a reference index");
        if (idx < 1 || idx > this.refs.length) {
          this.fail(`invalid reference index ${idx} (${this.refs.length} object(s) in the reference table)`, at);
        }
        return this.refs[idx - 1];
      }
      case PERSISTSXP: {
        const names = this.stringVec("a persistent name");
        const obj: RPersistent = { kind: "persistent", names, value: null };
        if (this.hook) obj.value = this.hook(names);
        this.refs.push(obj);
        return obj;
      }
      case SYMSXP: {
        const name = this.stringItem("a symbol name");
        const obj: RSymbol = { kind: "symbol", name: name ?? "NA" };
        this.refs.push(obj);
        return obj;
      }
      case PACKAGESXP:
      case NAMESPACESXP: {
        const info = this.stringVec(type === PACKAGESXP ? "a package name" : "a namespace name");
        const obj: RNamespaceRef = { kind: type === PACKAGESXP ? "package" : "namespace", info };
        this.refs.push(obj);
        return obj;
      }
      case ENVSXP: {
        const locked = this.int("an environment's lock flag") !== 0;
        const env: REnvironment = {
          kind: "environment",
          locked,
          enclos: R_NULL,
          frame: R_NULL,
          hashtab: R_NULL,
          attributes: null,
          object: isObj,
        };
        this.refs.push(env); // before the contents: environments can refer to themselves
        env.enclos = this.item();
        env.frame = this.item();
        env.hashtab = this.item();
        const attrAt = this.pos;
        const attr = this.attributesFrom(this.item(), attrAt);
        env.attributes = attr.size > 0 ? attr : null;
        return env;
      }
      case LISTSXP:
      case LANGSXP:
      case DOTSXP:
        return this.pairlist(flags, at);
      case CLOSXP:
      case PROMSXP: {
        const attributes = hasAttr ? this.readAttributes() : null;
        const env = hasTag ? this.item() : R_NULL;
        const car = this.item();
        const cdr = this.item();
        if (type === CLOSXP) {
          return { kind: "closure", formals: car, body: cdr, environment: env, attributes, object: isObj };
        }
        return { kind: "promise", value: car, expression: cdr, environment: env, attributes, object: isObj };
      }
      case ALTREP_SXP:
        return this.altrep(at);
      case CLASSREFSXP:
      case GENERICREFSXP:
        this.fail(`SEXP type ${typeName(type)} is not expected in a serialization stream`, at);
    }

    let obj: RObject;
    switch (type) {
      case NILSXP:
        return R_NULL;
      case EXTPTRSXP: {
        const p: RExternalPtr = { kind: "externalptr", protected: R_NULL, tag: R_NULL, attributes: null, object: isObj };
        this.refs.push(p);
        p.protected = this.item();
        p.tag = this.item();
        obj = p;
        break;
      }
      case WEAKREFSXP: {
        const w: RWeakRef = { kind: "weakref", attributes: null, object: isObj };
        this.refs.push(w);
        obj = w;
        break;
      }
      case SPECIALSXP:
      case BUILTINSXP: {
        const n = this.length(1, "a builtin name");
        const name = Buffer.from(this.bytes(n, "a builtin name")).toString("latin1");
        obj = { kind: type === SPECIALSXP ? "specialfun" : "builtin", name };
        break;
      }
      case CHARSXP:
        // A bare CHARSXP outside a character vector: return it as a length-1 character vector.
        obj = { kind: "character", data: [this.charsxp(flags, at)], attributes: null, object: false };
        break;
      case LGLSXP: {
        const n = this.length(4, "a logical vector");
        const data: Array<boolean | null> = new Array(n);
        for (let i = 0; i < n; i++) {
          const v = this.int();
          data[i] = v === NA_INTEGER ? null : v !== 0;
        }
        obj = { kind: "logical", data, attributes: null, object: isObj };
        break;
      }
      case INTSXP: {
        const n = this.length(4, "an integer vector");
        const data = new Int32Array(n);
        for (let i = 0; i < n; i++) data[i] = this.int();
        obj = { kind: "integer", data, attributes: null, object: isObj };
        break;
      }
      case REALSXP: {
        const n = this.length(8, "a double vector");
        const data = new Float64Array(n);
        for (let i = 0; i < n; i++) data[i] = this.double();
        obj = { kind: "double", data, attributes: null, object: isObj };
        break;
      }
      case CPLXSXP: {
        const n = this.length(16, "a complex vector");
        const data = new Float64Array(2 * n);
        for (let i = 0; i < 2 * n; i++) data[i] = this.double();
        obj = { kind: "complex", data, attributes: null, object: isObj };
        break;
      }
      case STRSXP: {
        const n = this.length(8, "a character vector");
        const data: Array<string | null> = new Array(n);
        for (let i = 0; i < n; i++) data[i] = this.stringItem(`element ${i + 1} of a character vector`);
        obj = { kind: "character", data, attributes: null, object: isObj };
        break;
      }
      case VECSXP:
      case EXPRSXP: {
        const n = this.length(4, type === VECSXP ? "a list" : "an expression vector");
        const data: RObject[] = new Array(n);
        for (let i = 0; i < n; i++) data[i] = this.item();
        obj = { kind: type === VECSXP ? "list" : "expression", data, attributes: null, object: isObj };
        break;
      }
      case RAWSXP: {
        const n = this.length(1, "a raw vector");
        obj = { kind: "raw", data: Uint8Array.from(this.bytes(n, "a raw vector")), attributes: null, object: isObj };
        break;
      }
      case S4SXP:
        obj = { kind: "S4", attributes: null, object: isObj };
        break;
      case BCODESXP:
        obj = this.bytecode();
        break;
      default:
        this.fail(`unknown SEXP type ${type} (item header 0x${(flags >>> 0).toString(16)})`, at);
    }
    if (hasAttr) {
      const attr = this.readAttributes();
      if ("attributes" in obj) obj.attributes = attr;
    }
    return obj;
  }

  /** LISTSXP / LANGSXP / DOTSXP chains, read iteratively so long pairlists do not overflow the stack. */
  private pairlist(flags: number, at: number): RPairlist {
    const type = flags & 0xff;
    const kind = type === LANGSXP ? "language" : type === DOTSXP ? "dots" : "pairlist";
    const out: RPairlist = { kind, items: [], attributes: null, object: (flags & IS_OBJECT_BIT) !== 0 };
    let first = true;
    for (;;) {
      const hasAttr = (flags & HAS_ATTR_BIT) !== 0;
      const hasTag = (flags & HAS_TAG_BIT) !== 0;
      const attr = hasAttr ? this.readAttributes() : null;
      if (first && attr) out.attributes = attr;
      first = false;
      const tagAt = this.pos;
      const tag = hasTag ? this.tagName(this.item(), tagAt) : null;
      out.items.push({ tag, value: this.item() });
      // CDR: continue while it is another cell of a pairlist-like type.
      const cdrAt = this.pos;
      const cdrFlags = this.int("a pairlist tail");
      const cdrType = cdrFlags & 0xff;
      if (cdrType === LISTSXP || cdrType === LANGSXP || cdrType === DOTSXP) {
        flags = cdrFlags;
        continue;
      }
      const cdr = this.itemWithFlags(cdrFlags, cdrAt);
      if (cdr.kind !== "NULL") out.tail = cdr;
      return out;
    }
  }

  private altrep(at: number): RObject {
    const info = this.item();
    const state = this.item();
    const attrObj = this.item();
    if (info.kind !== "pairlist" || info.items.length < 1 || info.items[0].value.kind !== "symbol") {
      this.fail("malformed ALTREP class information", at);
    }
    const cls = (info.items[0].value as RSymbol).name;
    let obj: RObject;
    if (cls === "compact_intseq" || cls === "compact_realseq") {
      // State is c(length, first, increment), a double vector (older R: an integer vector).
      if ((state.kind !== "double" && state.kind !== "integer") || state.data.length !== 3) this.fail(`malformed ${cls} state`, at);
      const [n, start, step] = Array.from(state.data as ArrayLike<number>);
      if (!(n >= 0) || n > 2 ** 31) this.fail(`invalid ${cls} length ${n}`, at);
      if (cls === "compact_intseq") {
        const data = new Int32Array(n);
        for (let i = 0; i < n; i++) data[i] = start + i * step;
        obj = { kind: "integer", data, attributes: null, object: false };
      } else {
        const data = new Float64Array(n);
        for (let i = 0; i < n; i++) data[i] = start + i * step;
        obj = { kind: "double", data, attributes: null, object: false };
      }
    } else if (cls.startsWith("wrap_")) {
      // State is CONS(wrapped, metadata).
      const wrapped =
        state.kind === "pairlist" && state.items.length > 0 ? state.items[0].value : state.kind === "list" && state.data.length > 0 ? state.data[0] : null;
      if (!wrapped) this.fail(`malformed ${cls} state (${state.kind})`, at);
      obj = cloneVector(wrapped);
    } else if (cls === "deferred_string") {
      // State is CONS(arg, info): arg is the integer/double vector to format.
      const arg = state.kind === "pairlist" && state.items.length > 0 ? state.items[0].value : state;
      if (arg.kind === "integer") {
        obj = { kind: "character", data: Array.from(arg.data, (v) => (v === NA_INTEGER ? null : String(v))), attributes: null, object: false };
      } else if (arg.kind === "double") {
        obj = { kind: "character", data: Array.from(arg.data, (v) => (isNAReal(v) ? null : formatDouble(v))), attributes: null, object: false };
      } else if (arg.kind === "character") {
        obj = cloneVector(arg);
      } else {
        this.fail(`malformed deferred_string state (${arg.kind})`, at);
      }
    } else {
      this.fail(`unsupported ALTREP class '${cls}'`, at);
    }
    if (attrObj.kind !== "NULL" && "attributes" in obj) {
      obj.attributes = this.attributesFrom(attrObj, at);
      obj.object = obj.attributes.has("class");
    }
    return obj;
  }

  private bytecode(): RBytecode {
    const nreps = this.length(0, "the byte-code reference table");
    const reps: RObject[] = new Array(nreps).fill(R_NULL);
    return this.bc1(reps);
  }

  private bc1(reps: RObject[]): RBytecode {
    const code = this.item();
    const n = this.length(4, "the byte-code constant pool");
    const consts: RObject[] = [];
    for (let i = 0; i < n; i++) {
      const at = this.pos;
      const type = this.int("a byte-code constant type");
      switch (type) {
        case BCODESXP:
          consts.push(this.bc1(reps));
          break;
        case LANGSXP:
        case LISTSXP:
        case BCREPDEF:
        case BCREPREF:
        case ATTRLANGSXP:
        case ATTRLISTSXP:
          consts.push(this.bcLang(type, reps, at));
          break;
        default:
          consts.push(this.item());
      }
    }
    return { kind: "bytecode", code, consts };
  }

  private bcLang(type: number, reps: RObject[], at: number): RObject {
    if (type === BCREPREF) {
      const i = this.int("a byte-code reference");
      if (i < 0 || i >= reps.length) this.fail(`invalid byte-code reference ${i}`, at);
      return reps[i];
    }
    if (type === BCREPDEF || type === LANGSXP || type === LISTSXP || type === ATTRLANGSXP || type === ATTRLISTSXP) {
      let pos = -1;
      if (type === BCREPDEF) {
        pos = this.int("a byte-code definition index");
        if (pos < 0 || pos >= reps.length) this.fail(`invalid byte-code definition index ${pos}`, at);
        type = this.int("a byte-code cell type");
      }
      const hasAttr = type === ATTRLANGSXP || type === ATTRLISTSXP;
      const kind = type === LANGSXP || type === ATTRLANGSXP ? "language" : "pairlist";
      const cell: RPairlist = { kind, items: [], attributes: null, object: false };
      if (pos >= 0) reps[pos] = cell;
      if (hasAttr) cell.attributes = this.readAttributes();
      const tagAt = this.pos;
      const tag = this.tagName(this.item(), tagAt);
      const carAt = this.pos;
      const car = this.bcLang(this.int("a byte-code cell type"), reps, carAt);
      const cdrAt = this.pos;
      const cdr = this.bcLang(this.int("a byte-code cell type"), reps, cdrAt);
      cell.items.push({ tag, value: car });
      if (cdr.kind === "pairlist" || cdr.kind === "language") cell.items.push(...cdr.items);
      return cell;
    }
    return this.item();
  }
}

function cloneVector(o: RObject): RObject {
  return "attributes" in o ? { ...o, attributes: o.attributes ? new Map(o.attributes) : null } : o;
}

function formatDouble(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "Inf";
  if (v === -Infinity) return "-Inf";
  return String(Number(v.toPrecision(15)));
}

function hexPreview(b: Uint8Array): string {
  const head = Array.from(b.subarray(0, 8), (x) => x.toString(16).padStart(2, "0")).join(" ");
  return b.length === 0 ? "<empty>" : `${head}${b.length > 8 ? " ..." : ""}`;
}

const TYPE_NAMES: Record<number, string> = {
  0: "NILSXP", 1: "SYMSXP", 2: "LISTSXP", 3: "CLOSXP", 4: "ENVSXP", 5: "PROMSXP", 6: "LANGSXP",
  7: "SPECIALSXP", 8: "BUILTINSXP", 9: "CHARSXP", 10: "LGLSXP", 13: "INTSXP", 14: "REALSXP",
  15: "CPLXSXP", 16: "STRSXP", 17: "DOTSXP", 19: "VECSXP", 20: "EXPRSXP", 21: "BCODESXP",
  22: "EXTPTRSXP", 23: "WEAKREFSXP", 24: "RAWSXP", 25: "S4SXP", 238: "ALTREP_SXP", 246: "CLASSREFSXP",
  245: "GENERICREFSXP", 254: "NILVALUE_SXP", 255: "REFSXP",
};

function typeName(t: number): string {
  return TYPE_NAMES[t] ? `${TYPE_NAMES[t]} (${t})` : String(t);
}

/**
 * Decode one serialized R object from an (already decompressed) XDR stream.
 * Trailing bytes after the object are ignored, as R does.
 */
export function unserialize(bytes: Uint8Array, options: UnserializeOptions = {}): RObject {
  const r = new Reader(bytes, options.source ?? "<R serialized data>", options.persistentHook);
  r.header();
  return r.item();
}

// ---------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------

function readFileBytes(path: string): Uint8Array {
  try {
    return fs.readFileSync(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new RDataError(path, err.code === "ENOENT" ? "file not found" : `cannot read file: ${err.message}`);
  }
}

/** Read an .rds file (saveRDS): one object, usually gzip-compressed. */
export function readRds(path: string): RObject {
  return parseRds(readFileBytes(path), path);
}

/** Parse the bytes of an .rds file; `source` names it in error messages. */
export function parseRds(bytes: Uint8Array, source: string): RObject {
  return unserialize(decompressFile(bytes, source), { source });
}

/** Read an .rda / .RData file (save): a named set of objects. */
export function readRData(path: string): Map<string, RObject> {
  return parseRData(readFileBytes(path), path);
}

export function parseRData(bytes: Uint8Array, source: string): Map<string, RObject> {
  const b = decompressFile(bytes, source);
  const magic = Buffer.from(b.subarray(0, 5)).toString("latin1");
  if (magic !== "RDX2\n" && magic !== "RDX3\n") {
    if (magic.startsWith("RDA") || magic.startsWith("RDB")) {
      throw new RDataError(source, `unsupported .RData flavour ${JSON.stringify(magic.trim())} (only XDR "RDX2"/"RDX3" is supported)`, 0);
    }
    throw new RDataError(source, `not an .RData file: starts with ${hexPreview(b)} (expected "RDX2\\n" or "RDX3\\n")`, 0);
  }
  const obj = unserialize(b.subarray(5), { source });
  if (obj.kind === "NULL") return new Map();
  if (obj.kind !== "pairlist") throw new RDataError(source, `expected a pairlist of named objects, found ${obj.kind}`);
  const out = new Map<string, RObject>();
  for (const it of obj.items) out.set(it.tag ?? "", it.value);
  return out;
}

/** An opened lazy-load database (`<base>.rdx` + `<base>.rdb`), as used by installed R packages. */
export interface LazyLoadDb {
  /** The base path (without .rdx/.rdb). */
  base: string;
  /** Names of the variables, in index order. */
  names: string[];
  /** Decode one variable; throws RDataError naming the file and the variable when it is missing or corrupt. */
  get(name: string): RObject;
}

function int2(obj: RObject, what: string, source: string): [number, number] {
  if ((obj.kind === "integer" || obj.kind === "double") && obj.data.length === 2) return [obj.data[0], obj.data[1]];
  throw new RDataError(source, `malformed index entry for ${what}: expected c(offset, length)`);
}

function namedEntries(obj: RObject, what: string, source: string): Array<[string, RObject]> {
  if (obj.kind === "NULL") return [];
  if (obj.kind !== "list") throw new RDataError(source, `malformed index: '${what}' is ${obj.kind}, not a list`);
  const names = obj.attributes?.get("names");
  if (obj.data.length > 0 && (!names || names.kind !== "character" || names.data.length !== obj.data.length)) {
    throw new RDataError(source, `malformed index: '${what}' has no names`);
  }
  return obj.data.map((v, i) => [(names as RCharacter).data[i] ?? "NA", v]);
}

/**
 * Open a lazy-load database. `base` is the path without extension, e.g.
 * `.../janeaustenr/data/Rdata` for `Rdata.rdx` + `Rdata.rdb`.
 */
export function openLazyLoadDb(base: string): LazyLoadDb {
  const rdxPath = base + ".rdx";
  const rdbPath = base + ".rdb";
  const index = readRds(rdxPath);
  if (index.kind !== "list") throw new RDataError(rdxPath, `not a lazy-load index: top level is ${index.kind}, not a list`);
  const fields = new Map(namedEntries(index, "<index>", rdxPath));
  const vars = fields.get("variables");
  if (!vars) throw new RDataError(rdxPath, "not a lazy-load index: no 'variables' entry");
  const variables = new Map<string, [number, number]>();
  for (const [name, v] of namedEntries(vars, "variables", rdxPath)) variables.set(name, int2(v, `'${name}'`, rdxPath));
  const references = new Map<string, [number, number]>();
  const refs = fields.get("references");
  if (refs) for (const [name, v] of namedEntries(refs, "references", rdxPath)) references.set(name, int2(v, `reference '${name}'`, rdxPath));
  const c = fields.get("compressed");
  let compressed = 1;
  if (c && (c.kind === "logical" || c.kind === "integer" || c.kind === "double") && c.data.length === 1) {
    const v = c.data[0];
    compressed = typeof v === "boolean" ? (v ? 1 : 0) : v === null ? 1 : Number(v);
  }

  const rdb = readFileBytes(rdbPath);

  const block = (what: string, [offset, length]: [number, number]): Uint8Array => {
    const source = `${rdbPath}[${what}]`;
    if (offset < 0 || length < 0 || offset + length > rdb.length) {
      throw new RDataError(source, `block at offset ${offset} with length ${length} lies outside the ${rdb.length}-byte file`);
    }
    const b = rdb.subarray(offset, offset + length);
    if (compressed === 0) return b;
    if (b.length < 4) throw new RDataError(source, "block too short for its length header", offset);
    const outLen = new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(0, false);
    let out: Uint8Array;
    if (compressed === 1) {
      try {
        out = zlib.inflateSync(b.subarray(4));
      } catch (e) {
        throw new RDataError(source, `corrupt zlib block: ${(e as Error).message}`, offset);
      }
    } else {
      if (b.length < 5) throw new RDataError(source, "block too short for its compression type byte", offset);
      const t = String.fromCharCode(b[4]);
      const body = b.subarray(5);
      if (t === "0") out = body;
      else if (t === "Z") out = externalDecompress("xz", body, source, "xz");
      else if (t === "2") out = externalDecompress("bzip2", body, source, "bzip2");
      else if (t === "1") {
        try {
          out = zlib.inflateSync(body);
        } catch (e) {
          throw new RDataError(source, `corrupt zlib block: ${(e as Error).message}`, offset);
        }
      } else throw new RDataError(source, `unknown block compression type ${JSON.stringify(t)}`, offset + 4);
    }
    if (out.length !== outLen) {
      throw new RDataError(source, `block decompressed to ${out.length} bytes, header says ${outLen}`, offset);
    }
    return out;
  };

  const refCache = new Map<string, RObject>();
  const hook = (names: string[]): RObject | null => {
    const key = names[0];
    const cached = refCache.get(key);
    if (cached) return cached;
    const pos = references.get(key);
    if (!pos) throw new RDataError(rdxPath, `persistent reference '${key}' is not in the index`);
    // Placeholder first: stored environments may refer to themselves.
    const placeholder: RPersistent = { kind: "persistent", names, value: null };
    refCache.set(key, placeholder);
    const value = unserialize(block(`reference ${key}`, pos), { source: `${rdbPath}[reference ${key}]`, persistentHook: hook });
    placeholder.value = value;
    refCache.set(key, value);
    return value;
  };

  return {
    base,
    names: Array.from(variables.keys()),
    get(name: string): RObject {
      const pos = variables.get(name);
      if (!pos) {
        throw new RDataError(rdxPath, `no variable '${name}' in the index (has: ${Array.from(variables.keys()).join(", ")})`);
      }
      return unserialize(block(name, pos), { source: `${rdbPath}[${name}]`, persistentHook: hook });
    },
  };
}

// ---------------------------------------------------------------------------
// Helpers: attributes, factors, data frames
// ---------------------------------------------------------------------------

export function attr(obj: RObject, name: string): RObject | undefined {
  return "attributes" in obj && obj.attributes ? obj.attributes.get(name) : undefined;
}

/** The class attribute as a string array ([] when none). */
export function rClass(obj: RObject): string[] {
  const c = attr(obj, "class");
  return c && c.kind === "character" ? c.data.map((s) => s ?? "NA") : [];
}

/** The names attribute ([] when none). */
export function rNames(obj: RObject): Array<string | null> {
  const n = attr(obj, "names");
  return n && n.kind === "character" ? n.data : [];
}

export function isFactor(obj: RObject): boolean {
  return obj.kind === "integer" && rClass(obj).includes("factor");
}

export function isNAInteger(v: number): boolean {
  return v === NA_INTEGER;
}

/** R's NA_real_ is a NaN whose low word is 1954. */
export function isNAReal(v: number): boolean {
  if (!Number.isNaN(v)) return false;
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, v);
  return dv.getUint32(4) === 1954;
}

/** A factor's values as strings (null for NA). */
export function factorToStrings(obj: RObject): Array<string | null> {
  if (obj.kind !== "integer" || !isFactor(obj)) throw new TypeError(`not a factor: ${obj.kind} with class [${rClass(obj).join(", ")}]`);
  const levels = attr(obj, "levels");
  if (!levels || levels.kind !== "character") throw new TypeError("factor has no character 'levels' attribute");
  return Array.from(obj.data, (code) => {
    if (code === NA_INTEGER) return null;
    if (code < 1 || code > levels.data.length) throw new RangeError(`factor code ${code} out of range 1..${levels.data.length}`);
    return levels.data[code - 1];
  });
}

/** A character vector or factor as strings (null for NA). */
export function asStrings(obj: RObject): Array<string | null> {
  if (obj.kind === "character") return obj.data;
  if (isFactor(obj)) return factorToStrings(obj);
  throw new TypeError(`expected a character vector or factor, found ${obj.kind}`);
}

/** A data frame column: plain values, or R objects for list columns. */
export type RColumn = Array<string | number | boolean | null> | RObject[];

export interface RDataFrame {
  names: string[];
  columns: Map<string, RColumn>;
  rowNames: Array<string | number>;
  nrow: number;
}

function columnValues(col: RObject, name: string): RColumn {
  switch (col.kind) {
    case "character":
      return col.data.slice();
    case "logical":
      return col.data.slice();
    case "integer":
      if (isFactor(col)) return factorToStrings(col);
      return Array.from(col.data, (v) => (v === NA_INTEGER ? null : v));
    case "double":
      return Array.from(col.data, (v) => (isNAReal(v) ? null : v));
    case "list":
      return col.data.slice();
    default:
      throw new TypeError(`data frame column '${name}' has unsupported type ${col.kind}`);
  }
}

/** Convert a data.frame (a list with class "data.frame") to columns of plain values; factors become strings. */
export function toDataFrame(obj: RObject): RDataFrame {
  if (obj.kind !== "list" || !rClass(obj).includes("data.frame")) {
    throw new TypeError(`not a data.frame: ${obj.kind} with class [${rClass(obj).join(", ")}]`);
  }
  const names = rNames(obj).map((n, i) => n ?? `V${i + 1}`);
  const columns = new Map<string, RColumn>();
  obj.data.forEach((col, i) => columns.set(names[i], columnValues(col, names[i])));
  const rn = attr(obj, "row.names");
  let rowNames: Array<string | number> = [];
  if (rn && rn.kind === "integer" && rn.data.length === 2 && rn.data[0] === NA_INTEGER) {
    // Compact form c(NA, -n) (or c(NA, n)): row names 1..n.
    const n = Math.abs(rn.data[1]);
    rowNames = Array.from({ length: n }, (_, i) => i + 1);
  } else if (rn && rn.kind === "integer") {
    rowNames = Array.from(rn.data);
  } else if (rn && rn.kind === "character") {
    rowNames = rn.data.map((s) => s ?? "NA");
  } else if (rn && rn.kind === "double") {
    rowNames = Array.from(rn.data);
  }
  const nrow = rowNames.length > 0 ? rowNames.length : obj.data.length > 0 ? columns.get(names[0])!.length : 0;
  for (const [n, c] of columns) {
    if (c.length !== nrow) throw new RangeError(`data frame column '${n}' has ${c.length} values, expected ${nrow}`);
  }
  return { names, columns, rowNames, nrow };
}
