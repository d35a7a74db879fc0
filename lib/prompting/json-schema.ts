/**
 * Chapter 6, output verification: a practical JSON-schema subset, a validator for it, and a byte-level
 * automaton that knows, for compact JSON written so far, which next bytes keep it on the way to a value
 * the schema accepts. `constrained.ts` masks a model's next tokens with it.
 *
 * The subset: `type` (one or a list of object, array, string, number, integer, boolean, null),
 * `properties` / `required` / `additionalProperties`, `items` / `minItems` / `maxItems`,
 * `minLength` / `maxLength`, `minimum` / `maximum` / `exclusiveMinimum` / `exclusiveMaximum`, `enum`,
 * `const`, nested freely; annotations (title, description, default, examples, $schema, $id, $comment)
 * are ignored. Any other keyword is an error, so a schema is never silently half-enforced.
 *
 * What the automaton accepts is a deterministic subset of JSON for the schema ("the generation grammar"):
 * no whitespace, object properties in the schema's order (optional ones may be left out, extra ones never
 * appear, whatever additionalProperties says), numbers without exponent with at most `maxIntegerDigits`
 * digits before the point and `maxFractionDigits` after it (none for integers), enum / const values as
 * `JSON.stringify` writes them, never `-0`, strings of well-formed UTF-8 with the JSON escapes (`\uXXXX` except
 * surrogates). It works on UTF-8 bytes, so byte-level tokens that are pieces of one character are fine
 * inside strings.
 */

/** A JSON schema (draft 2020-12 keywords), or `true` / `false`. */
export type JsonSchema = boolean | { [keyword: string]: unknown };

/** One validation failure: where (a JSONPath such as `$.tags[1]`) and what. */
export interface JsonSchemaError {
  path: string;
  message: string;
}

const ANNOTATIONS = new Set(["title", "description", "default", "examples", "$schema", "$id", "$comment", "deprecated", "readOnly", "writeOnly"]);
const KEYWORDS = [
  "type",
  "enum",
  "const",
  "properties",
  "required",
  "additionalProperties",
  "items",
  "minItems",
  "maxItems",
  "minLength",
  "maxLength",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
];
const KEYWORD_SET = new Set(KEYWORDS);
const TYPES = new Set(["object", "array", "string", "number", "integer", "boolean", "null"]);

type SchemaObject = { [keyword: string]: unknown };

function isPlainObject(v: unknown): v is SchemaObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** JSONPath of a child: `$.name`, `$["odd key"]`, `$[3]`. */
function childPath(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function schemaError(path: string, message: string): Error {
  return new Error(`JSON schema at ${path}: ${message}`);
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 0;
}

/**
 * Throws a clear error when `schema` uses a keyword outside the supported subset or a keyword with a
 * malformed value; walks nested schemas.
 */
export function assertSupportedSchema(schema: unknown, path = "$"): asserts schema is JsonSchema {
  if (typeof schema === "boolean") return;
  if (!isPlainObject(schema)) throw schemaError(path, `a schema must be an object or a boolean (got ${describe(schema)})`);
  for (const key of Object.keys(schema)) {
    if (!KEYWORD_SET.has(key) && !ANNOTATIONS.has(key)) {
      throw schemaError(path, `unsupported keyword "${key}" (supported: ${KEYWORDS.join(", ")})`);
    }
  }
  const s = schema;
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? s.type : [s.type];
    if (types.length === 0) throw schemaError(path, "type is an empty list");
    for (const t of types) if (typeof t !== "string" || !TYPES.has(t)) throw schemaError(path, `unknown type ${JSON.stringify(t)} (known: ${[...TYPES].join(", ")})`);
  }
  if (s.enum !== undefined && (!Array.isArray(s.enum) || s.enum.length === 0)) throw schemaError(path, "enum must be a non-empty array");
  if (s.properties !== undefined) {
    if (!isPlainObject(s.properties)) throw schemaError(path, "properties must be an object of schemas");
    for (const [k, sub] of Object.entries(s.properties)) assertSupportedSchema(sub, childPath(path, k));
  }
  if (s.required !== undefined && (!Array.isArray(s.required) || s.required.some((r) => typeof r !== "string"))) {
    throw schemaError(path, "required must be an array of property names");
  }
  if (s.additionalProperties !== undefined) assertSupportedSchema(s.additionalProperties, `${path}.additionalProperties`);
  if (s.items !== undefined) {
    if (Array.isArray(s.items)) throw schemaError(path, "items as an array (tuple validation) is not supported; use one schema for every item");
    assertSupportedSchema(s.items, `${path}[*]`);
  }
  for (const k of ["minItems", "maxItems", "minLength", "maxLength"]) {
    if (s[k] !== undefined && !isCount(s[k])) throw schemaError(path, `${k} must be a non-negative integer (got ${JSON.stringify(s[k])})`);
  }
  for (const k of ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"]) {
    if (s[k] !== undefined && !(typeof s[k] === "number" && Number.isFinite(s[k]))) throw schemaError(path, `${k} must be a finite number (got ${JSON.stringify(s[k])})`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Validation

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case "null":
      return value === null;
    case "boolean":
      return typeof value === "boolean";
    case "string":
      return typeof value === "string";
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "integer":
      return typeof value === "number" && Number.isInteger(value);
    case "array":
      return Array.isArray(value);
    case "object":
      return isPlainObject(value);
  }
  return false;
}

/** Equality of JSON values (object key order ignored), as JSON Schema's enum / const compare. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

function validateInto(value: unknown, schema: JsonSchema, path: string, errors: JsonSchemaError[]): void {
  if (schema === true) return;
  if (schema === false) {
    errors.push({ path, message: "no value is allowed here (schema false)" });
    return;
  }
  const s = schema;
  if (s.type !== undefined) {
    const types = (Array.isArray(s.type) ? s.type : [s.type]) as string[];
    if (!types.some((t) => hasType(value, t))) {
      errors.push({ path, message: `expected ${types.join(" or ")}, got ${describe(value)}` });
      return; // the other keywords would only repeat the type mismatch
    }
  }
  if (s.enum !== undefined && !(s.enum as unknown[]).some((e) => jsonEqual(e, value))) {
    errors.push({ path, message: `must be one of ${JSON.stringify(s.enum)}, got ${JSON.stringify(value)}` });
  }
  if (s.const !== undefined && !jsonEqual(s.const, value)) {
    errors.push({ path, message: `must equal ${JSON.stringify(s.const)}, got ${JSON.stringify(value)}` });
  }
  if (typeof value === "string") {
    // JSON Schema counts characters as code points, not UTF-16 units.
    const length = [...value].length;
    if (s.minLength !== undefined && length < (s.minLength as number)) errors.push({ path, message: `string shorter than minLength ${s.minLength} (${length} characters)` });
    if (s.maxLength !== undefined && length > (s.maxLength as number)) errors.push({ path, message: `string longer than maxLength ${s.maxLength} (${length} characters)` });
  }
  if (typeof value === "number") {
    if (s.minimum !== undefined && !(value >= (s.minimum as number))) errors.push({ path, message: `${value} is less than minimum ${s.minimum}` });
    if (s.maximum !== undefined && !(value <= (s.maximum as number))) errors.push({ path, message: `${value} is greater than maximum ${s.maximum}` });
    if (s.exclusiveMinimum !== undefined && !(value > (s.exclusiveMinimum as number))) errors.push({ path, message: `${value} is not greater than exclusiveMinimum ${s.exclusiveMinimum}` });
    if (s.exclusiveMaximum !== undefined && !(value < (s.exclusiveMaximum as number))) errors.push({ path, message: `${value} is not less than exclusiveMaximum ${s.exclusiveMaximum}` });
  }
  if (Array.isArray(value)) {
    if (s.minItems !== undefined && value.length < (s.minItems as number)) errors.push({ path, message: `array has ${value.length} items, fewer than minItems ${s.minItems}` });
    if (s.maxItems !== undefined && value.length > (s.maxItems as number)) errors.push({ path, message: `array has ${value.length} items, more than maxItems ${s.maxItems}` });
    if (s.items !== undefined) value.forEach((item, i) => validateInto(item, s.items as JsonSchema, childPath(path, i), errors));
  }
  if (isPlainObject(value)) {
    const properties = (s.properties ?? {}) as { [key: string]: JsonSchema };
    for (const key of (s.required ?? []) as string[]) {
      if (!Object.prototype.hasOwnProperty.call(value, key)) errors.push({ path, message: `missing required property ${JSON.stringify(key)}` });
    }
    for (const [key, item] of Object.entries(value)) {
      if (Object.prototype.hasOwnProperty.call(properties, key)) validateInto(item, properties[key], childPath(path, key), errors);
      else if (s.additionalProperties === false) errors.push({ path: childPath(path, key), message: "property not allowed (additionalProperties is false)" });
      else if (s.additionalProperties !== undefined) validateInto(item, s.additionalProperties as JsonSchema, childPath(path, key), errors);
    }
  }
}

/**
 * Checks a parsed JSON value against a schema of the supported subset (an unsupported schema throws).
 * Returns every failure with its JSONPath; an empty list means valid. additionalProperties defaults to
 * true here, as in JSON Schema (generation never writes extra properties either way).
 */
export function validateJsonSchema(value: unknown, schema: JsonSchema): JsonSchemaError[] {
  assertSupportedSchema(schema);
  const errors: JsonSchemaError[] = [];
  validateInto(value, schema, "$", errors);
  return errors;
}

// ---------------------------------------------------------------------------------------------------------
// The generation grammar: schema -> nodes

export interface JsonGrammarOptions {
  /** Digits after the point a generated `number` may have (default 6); `integer` has none. */
  maxFractionDigits?: number;
  /** Digits before the point (default 15, so every generated integer is an exact double). */
  maxIntegerDigits?: number;
  /** A cap for strings without maxLength (default none: the token budget bounds them). */
  defaultMaxStringLength?: number;
}

interface PropertyNode {
  key: string;
  /** UTF-8 of the key as JSON writes it, quotes included. */
  keyBytes: number[];
  node: SchemaNode;
  required: boolean;
}

interface ObjectNode {
  kind: "object";
  props: PropertyNode[];
  /** reqCost[i]: bytes of `,"key":<shortest value>` for every required property from i on. */
  reqCost: number[];
  minLen: number;
}
interface ArrayNode {
  kind: "array";
  items: SchemaNode | null;
  minItems: number;
  maxItems: number;
  minLen: number;
}
interface StringNode {
  kind: "string";
  minLength: number;
  maxLength: number;
  minLen: number;
}
interface NumberNode {
  kind: "number";
  integer: boolean;
  fractionDigits: number;
  maxIntegerDigits: number;
  /** 10^fractionDigits: numbers are handled as exact integers scaled by it. */
  scale: bigint;
  /** Smallest and largest scaled values the bounds (and the digit caps) allow. */
  lo: bigint;
  hi: bigint;
  minLen: number;
  costCache: Map<string, number>;
}
interface LiteralNode {
  kind: "literal";
  /** UTF-8 of each allowed value as JSON.stringify writes it. */
  texts: number[][];
  minLen: number;
}
interface UnionNode {
  kind: "union";
  /** The member a value starting with this byte belongs to. */
  byFirstByte: (SchemaNode | undefined)[];
  minLen: number;
}
type SchemaNode = ObjectNode | ArrayNode | StringNode | NumberNode | LiteralNode | UnionNode;

const utf8 = (s: string): number[] => Array.from(Buffer.from(s, "utf8"));
const big = (n: number): bigint => BigInt(n);
const ZERO = big(0);
const ONE = big(1);
const pow10 = (k: number): bigint => BigInt("1" + "0".repeat(k));

function compileNode(schema: JsonSchema, path: string, opts: Required<JsonGrammarOptions>): SchemaNode {
  if (schema === true) throw schemaError(path, "generation needs a type, enum or const here (schema true allows any value)");
  if (schema === false) throw schemaError(path, "no value satisfies schema false");
  const s = schema;
  if (s.enum !== undefined || s.const !== undefined) {
    const candidates = s.const !== undefined ? [s.const] : (s.enum as unknown[]);
    // The other keywords still apply (and enum and const together): keep the values that pass them all.
    const allowed = candidates.filter((v) => validateJsonSchema(v, schema).length === 0);
    if (allowed.length === 0) throw schemaError(path, "no value of enum / const satisfies the rest of the schema");
    const texts = [...new Set(allowed.map((v) => JSON.stringify(v)))].map(utf8);
    return { kind: "literal", texts, minLen: Math.min(...texts.map((t) => t.length)) };
  }
  if (s.type === undefined) throw schemaError(path, "generation needs a type, enum or const");
  let types = [...new Set((Array.isArray(s.type) ? s.type : [s.type]) as string[])];
  if (types.includes("number")) types = types.filter((t) => t !== "integer"); // integers are numbers
  if (types.length > 1) {
    const byFirstByte: (SchemaNode | undefined)[] = new Array(256).fill(undefined);
    const members = types.map((t) => compileNode({ ...s, type: t }, path, opts));
    for (const m of members) {
      for (const b of firstBytes(m)) {
        if (byFirstByte[b]) throw schemaError(path, `the types ${types.join(", ")} overlap on their first character`);
        byFirstByte[b] = m;
      }
    }
    return { kind: "union", byFirstByte, minLen: Math.min(...members.map((m) => m.minLen)) };
  }
  const type = types[0];
  switch (type) {
    case "null":
      return { kind: "literal", texts: [utf8("null")], minLen: 4 };
    case "boolean":
      return { kind: "literal", texts: [utf8("true"), utf8("false")], minLen: 4 };
    case "string": {
      const minLength = (s.minLength as number | undefined) ?? 0;
      const maxLength = (s.maxLength as number | undefined) ?? opts.defaultMaxStringLength;
      if (minLength > maxLength) throw schemaError(path, `minLength ${minLength} > maxLength ${maxLength}`);
      return { kind: "string", minLength, maxLength, minLen: 2 + minLength };
    }
    case "integer":
    case "number":
      return compileNumber(s, type === "integer", path, opts);
    case "array": {
      const minItems = (s.minItems as number | undefined) ?? 0;
      const maxItems = (s.maxItems as number | undefined) ?? Infinity;
      if (minItems > maxItems) throw schemaError(path, `minItems ${minItems} > maxItems ${maxItems}`);
      if (s.items === undefined && maxItems > 0) throw schemaError(path, "generation of an array needs an items schema");
      const items = maxItems > 0 ? compileNode(s.items as JsonSchema, `${path}[*]`, opts) : null;
      const m = items ? items.minLen : 0;
      return { kind: "array", items, minItems, maxItems, minLen: 2 + minItems * m + Math.max(0, minItems - 1) };
    }
    case "object": {
      const properties = (s.properties ?? {}) as { [key: string]: JsonSchema };
      const required = new Set((s.required ?? []) as string[]);
      for (const r of required) {
        if (!Object.prototype.hasOwnProperty.call(properties, r)) throw schemaError(path, `required property ${JSON.stringify(r)} has no schema in properties`);
      }
      const props: PropertyNode[] = Object.entries(properties).map(([key, sub]) => ({
        key,
        keyBytes: utf8(JSON.stringify(key)),
        node: compileNode(sub, childPath(path, key), opts),
        required: required.has(key),
      }));
      const reqCost = new Array<number>(props.length + 1).fill(0);
      for (let i = props.length - 1; i >= 0; i--) {
        const p = props[i];
        reqCost[i] = reqCost[i + 1] + (p.required ? 1 + p.keyBytes.length + 1 + p.node.minLen : 0);
      }
      // "{" + required properties (the first without its comma) + "}".
      const minLen = 2 + (reqCost[0] > 0 ? reqCost[0] - 1 : 0);
      return { kind: "object", props, reqCost, minLen };
    }
  }
  throw schemaError(path, `unknown type ${JSON.stringify(type)}`);
}

function firstBytes(node: SchemaNode): number[] {
  switch (node.kind) {
    case "object":
      return [0x7b];
    case "array":
      return [0x5b];
    case "string":
      return [0x22];
    case "number":
      return utf8("-0123456789");
    case "literal":
      return [...new Set(node.texts.map((t) => t[0]))];
    case "union":
      return node.byFirstByte.map((m, b) => (m ? b : -1)).filter((b) => b >= 0);
  }
}

/** The scaled integer N as the decimal text this grammar writes (fixed fraction digits). */
function decimalText(n: bigint, fractionDigits: number): string {
  const neg = n < ZERO;
  let digits = (neg ? -n : n).toString();
  if (fractionDigits === 0) return (neg ? "-" : "") + digits;
  digits = digits.padStart(fractionDigits + 1, "0");
  return `${neg ? "-" : ""}${digits.slice(0, digits.length - fractionDigits)}.${digits.slice(digits.length - fractionDigits)}`;
}

function compileNumber(s: SchemaObject, integer: boolean, path: string, opts: Required<JsonGrammarOptions>): NumberNode {
  const fractionDigits = integer ? 0 : opts.maxFractionDigits;
  const scale = pow10(fractionDigits);
  const capMag = pow10(opts.maxIntegerDigits) * scale - ONE;
  // The bounds are compared on the parsed double, exactly as the validator will compare the output.
  const value = (n: bigint) => parseFloat(decimalText(n, fractionDigits));
  const lowerOk = (n: bigint) =>
    (s.minimum === undefined || value(n) >= (s.minimum as number)) && (s.exclusiveMinimum === undefined || value(n) > (s.exclusiveMinimum as number));
  const upperOk = (n: bigint) =>
    (s.maximum === undefined || value(n) <= (s.maximum as number)) && (s.exclusiveMaximum === undefined || value(n) < (s.exclusiveMaximum as number));
  const clamp = (n: bigint) => (n < -capMag ? -capMag : n > capMag ? capMag : n);
  const estimate = (bounds: unknown[], pick: (a: number, b: number) => number, round: (x: number) => number, otherwise: bigint) => {
    const given = bounds.filter((b): b is number => typeof b === "number");
    if (given.length === 0) return otherwise;
    const x = round(given.reduce(pick) * Number(scale));
    return Number.isFinite(x) ? clamp(BigInt(x)) : x > 0 ? capMag : -capMag;
  };
  // Start from the float estimate, then step to the exact edge (a step or two at most).
  let lo = estimate([s.minimum, s.exclusiveMinimum], Math.max, Math.ceil, -capMag);
  while (!lowerOk(lo) && lo <= capMag) lo += ONE;
  while (lo > -capMag && lowerOk(lo - ONE)) lo -= ONE;
  let hi = estimate([s.maximum, s.exclusiveMaximum], Math.min, Math.floor, capMag);
  while (!upperOk(hi) && hi >= -capMag) hi -= ONE;
  while (hi < capMag && upperOk(hi + ONE)) hi += ONE;
  if (lo > hi) {
    throw schemaError(path, `no ${integer ? "integer" : `number with at most ${fractionDigits} fraction digits`} and at most ${opts.maxIntegerDigits} integer digits satisfies the bounds`);
  }
  const node: NumberNode = { kind: "number", integer, fractionDigits, maxIntegerDigits: opts.maxIntegerDigits, scale, lo, hi, minLen: 0, costCache: new Map() };
  node.minLen = numberCost(node, "");
  return node;
}

function ceilDiv(a: bigint, m: bigint): bigint {
  const q = a / m;
  return q * m < a ? q + ONE : q;
}

/**
 * Fewest bytes that turn the number prefix `text` into a complete number within the bounds (0: it is
 * one already; Infinity: no completion exists). Exact, so the budget guard never strands generation.
 */
function numberCost(node: NumberNode, text: string): number {
  const cached = node.costCache.get(text);
  if (cached !== undefined) return cached;
  const neg = text.startsWith("-");
  const body = neg ? text.slice(1) : text;
  let best = Infinity;
  if (body === "") {
    for (let d = 0; d <= 9; d++) best = Math.min(best, 1 + numberCost(node, text + d));
    if (!neg) best = Math.min(best, 1 + numberCost(node, "-"));
  } else {
    const dot = body.indexOf(".");
    const intDigits = dot < 0 ? body : body.slice(0, dot);
    const frac = dot < 0 ? null : body.slice(dot + 1);
    const F = node.fractionDigits;
    const I = BigInt(intDigits);
    // Magnitudes (scaled) reachable from here in one interval, the bytes spent getting into it, and
    // the fewest fraction digits a completion in it must have.
    const consider = (magLo: bigint, magHi: bigint, spent: number, minFrac: number) => {
      // A minus sign needs a non-zero magnitude: the grammar never writes -0.
      if (neg && magLo < ONE) magLo = ONE;
      const a = neg ? (magLo > -node.hi ? magLo : -node.hi) : magLo > node.lo ? magLo : node.lo;
      const b = neg ? (magHi < -node.lo ? magHi : -node.lo) : magHi < node.hi ? magHi : node.hi;
      if (a > b) return;
      const have = frac === null ? 0 : frac.length;
      for (let j = minFrac; j <= F; j++) {
        const m = pow10(F - j);
        if (ceilDiv(a, m) * m <= b) {
          const extra = frac === null ? (j > 0 ? j + 1 : 0) : j - have;
          best = Math.min(best, spent + extra);
          return;
        }
      }
    };
    if (frac === null) {
      const maxExtra = intDigits === "0" ? 0 : node.maxIntegerDigits - intDigits.length;
      for (let k = 0; k <= maxExtra; k++) {
        const p = pow10(k);
        const base = I * p;
        consider(base * node.scale, (base + p - ONE) * node.scale + node.scale - ONE, k, 0);
      }
    } else {
      const unit = pow10(F - frac.length);
      const start = I * node.scale + (frac === "" ? ZERO : BigInt(frac)) * unit;
      consider(start, start + unit - ONE, 0, Math.max(frac.length, 1));
    }
  }
  node.costCache.set(text, best);
  return best;
}

function numberStep(node: NumberNode, text: string, b: number): string | null {
  const neg = text.startsWith("-");
  const body = neg ? text.slice(1) : text;
  const dot = body.indexOf(".");
  if (b === 0x2d) {
    if (text !== "") return null;
  } else if (b >= 0x30 && b <= 0x39) {
    if (dot >= 0) {
      if (body.length - dot - 1 >= node.fractionDigits) return null;
    } else if (body === "0" || body.length >= node.maxIntegerDigits) return null;
  } else if (b === 0x2e) {
    if (node.integer || body === "" || dot >= 0) return null;
  } else return null;
  const next = text + String.fromCharCode(b);
  return numberCost(node, next) === Infinity ? null : next;
}

// ---------------------------------------------------------------------------------------------------------
// The automaton: a persistent stack of frames, one per open value

const enum Phase {
  Start,
  Open,
  Key,
  Colon,
  Value,
  CommaOrEnd,
  AfterComma,
  Body,
  Escape,
  Unicode,
}

type Frame =
  | { t: "obj"; node: ObjectNode; phase: Phase; next: number; cur: number; cands: number[]; pos: number }
  | { t: "arr"; node: ArrayNode; phase: Phase; count: number }
  | { t: "str"; node: StringNode; phase: Phase; count: number; need: number; contLo: number; contHi: number; hex: number; surrogateGuard: boolean }
  | { t: "num"; node: NumberNode; text: string }
  | { t: "lit"; node: LiteralNode; cands: number[]; pos: number }
  | { t: "union"; node: UnionNode }
  | { t: "done" };

/**
 * Where a compact JSON text stands: the innermost open value on top. Immutable: advancing makes a new
 * state that shares the frames below, so trying every token from one state is cheap.
 */
export interface JsonState {
  readonly frame: Frame;
  readonly up: JsonState | null;
  /** Bytes the frames below need once this frame's value is complete. */
  readonly tail: number;
}

const DONE_FRAME: Frame = { t: "done" };
const DONE: JsonState = { frame: DONE_FRAME, up: null, tail: 0 };

type Step =
  | { k: 0; frame: Frame } // stays open
  | { k: 1 } // the value is complete and takes no more bytes
  | { k: 2; frame: Frame; child: SchemaNode; refeed: boolean } // a nested value starts
  | { k: 3; frame: Frame }; // a union picked its member: feed the byte again
const CLOSE: Step = { k: 1 };

function startFrame(node: SchemaNode): Frame {
  switch (node.kind) {
    case "object":
      return { t: "obj", node, phase: Phase.Start, next: 0, cur: -1, cands: [], pos: 0 };
    case "array":
      return { t: "arr", node, phase: Phase.Start, count: 0 };
    case "string":
      return { t: "str", node, phase: Phase.Start, count: 0, need: 0, contLo: 0, contHi: 0, hex: 0, surrogateGuard: false };
    case "number":
      return { t: "num", node, text: "" };
    case "literal":
      return { t: "lit", node, cands: node.texts.map((_, i) => i), pos: 0 };
    case "union":
      return { t: "union", node };
  }
}

/** Property indices that may come next: from `next` up to the first required one. */
function keyCandidates(node: ObjectNode, next: number): number[] {
  const out: number[] = [];
  for (let i = next; i < node.props.length; i++) {
    out.push(i);
    if (node.props[i].required) break;
  }
  return out;
}

function objStep(f: Extract<Frame, { t: "obj" }>, b: number): Step | null {
  const node = f.node;
  switch (f.phase) {
    case Phase.Start:
      return b === 0x7b ? { k: 0, frame: { ...f, phase: Phase.Open, next: 0 } } : null;
    case Phase.Open:
    case Phase.CommaOrEnd:
    case Phase.AfterComma: {
      if (b === 0x7d && f.phase !== Phase.AfterComma) return node.reqCost[f.next] === 0 ? CLOSE : null;
      if (b === 0x2c && f.phase === Phase.CommaOrEnd) return f.next < node.props.length ? { k: 0, frame: { ...f, phase: Phase.AfterComma } } : null;
      if (b === 0x22 && f.phase !== Phase.CommaOrEnd) {
        const cands = keyCandidates(node, f.next);
        return cands.length ? { k: 0, frame: { ...f, phase: Phase.Key, cands, pos: 1 } } : null;
      }
      return null;
    }
    case Phase.Key: {
      const cands = f.cands.filter((c) => node.props[c].keyBytes[f.pos] === b);
      if (cands.length === 0) return null;
      const finished = cands.find((c) => node.props[c].keyBytes.length === f.pos + 1);
      if (finished !== undefined) return { k: 0, frame: { ...f, phase: Phase.Colon, cur: finished, cands: [], pos: 0 } };
      return { k: 0, frame: { ...f, cands, pos: f.pos + 1 } };
    }
    case Phase.Colon:
      return b === 0x3a ? { k: 2, frame: { ...f, phase: Phase.Value, next: f.cur + 1 }, child: node.props[f.cur].node, refeed: false } : null;
  }
  return null;
}

function arrStep(f: Extract<Frame, { t: "arr" }>, b: number): Step | null {
  const node = f.node;
  switch (f.phase) {
    case Phase.Start:
      return b === 0x5b ? { k: 0, frame: { ...f, phase: Phase.Open } } : null;
    case Phase.Open:
      if (b === 0x5d) return node.minItems === 0 ? CLOSE : null;
      return node.maxItems >= 1 && node.items ? { k: 2, frame: { ...f, phase: Phase.Value }, child: node.items, refeed: true } : null;
    case Phase.AfterComma:
      return node.items ? { k: 2, frame: { ...f, phase: Phase.Value }, child: node.items, refeed: true } : null;
    case Phase.CommaOrEnd:
      if (b === 0x2c) return f.count < node.maxItems ? { k: 0, frame: { ...f, phase: Phase.AfterComma } } : null;
      if (b === 0x5d) return f.count >= node.minItems ? CLOSE : null;
      return null;
  }
  return null;
}

const isHex = (b: number) => (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66);

function strStep(f: Extract<Frame, { t: "str" }>, b: number): Step | null {
  const node = f.node;
  switch (f.phase) {
    case Phase.Start:
      return b === 0x22 ? { k: 0, frame: { ...f, phase: Phase.Body } } : null;
    case Phase.Body: {
      if (f.need > 0) {
        if (b < f.contLo || b > f.contHi) return null;
        return { k: 0, frame: { ...f, need: f.need - 1, contLo: 0x80, contHi: 0xbf } };
      }
      if (b === 0x22) return f.count >= node.minLength ? CLOSE : null;
      if (f.count >= node.maxLength) return null;
      if (b === 0x5c) return { k: 0, frame: { ...f, phase: Phase.Escape } };
      if (b < 0x20) return null; // control characters must be escaped
      if (b < 0x80) return { k: 0, frame: { ...f, count: f.count + 1 } };
      // A UTF-8 lead byte: the character counts now; its continuation bytes must follow (no overlong
      // forms, no surrogates, nothing past U+10FFFF), so the final text always decodes.
      let need = 0;
      let lo = 0x80;
      let hi = 0xbf;
      if (b >= 0xc2 && b <= 0xdf) need = 1;
      else if (b >= 0xe0 && b <= 0xef) {
        need = 2;
        if (b === 0xe0) lo = 0xa0;
        if (b === 0xed) hi = 0x9f;
      } else if (b >= 0xf0 && b <= 0xf4) {
        need = 3;
        if (b === 0xf0) lo = 0x90;
        if (b === 0xf4) hi = 0x8f;
      } else return null;
      return { k: 0, frame: { ...f, count: f.count + 1, need, contLo: lo, contHi: hi } };
    }
    case Phase.Escape:
      if (b === 0x75) return { k: 0, frame: { ...f, phase: Phase.Unicode, hex: 0, surrogateGuard: false } };
      // " \ / b f n r t
      if ([0x22, 0x5c, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74].includes(b)) return { k: 0, frame: { ...f, phase: Phase.Body, count: f.count + 1 } };
      return null;
    case Phase.Unicode: {
      if (!isHex(b)) return null;
      // \uD800-\uDFFF (surrogates) would make a lone half character: refuse "D" followed by 8-F.
      if (f.hex === 1 && f.surrogateGuard && !(b >= 0x30 && b <= 0x37)) return null;
      const guard = f.hex === 0 && (b === 0x44 || b === 0x64);
      if (f.hex === 3) return { k: 0, frame: { ...f, phase: Phase.Body, count: f.count + 1, hex: 0, surrogateGuard: false } };
      return { k: 0, frame: { ...f, hex: f.hex + 1, surrogateGuard: f.hex === 0 ? guard : f.surrogateGuard } };
    }
  }
  return null;
}

function step(f: Frame, b: number): Step | null {
  switch (f.t) {
    case "obj":
      return objStep(f, b);
    case "arr":
      return arrStep(f, b);
    case "str":
      return strStep(f, b);
    case "num": {
      const text = numberStep(f.node, f.text, b);
      return text === null ? null : { k: 0, frame: { ...f, text } };
    }
    case "lit": {
      const texts = f.node.texts;
      const pos = f.pos;
      const cands = f.cands.filter((c) => texts[c][pos] === b);
      if (cands.length === 0) return null;
      if (cands.every((c) => texts[c].length === pos + 1)) return CLOSE;
      return { k: 0, frame: { ...f, cands, pos: pos + 1 } };
    }
    case "union": {
      const member = f.node.byFirstByte[b];
      return member ? { k: 3, frame: startFrame(member) } : null;
    }
    case "done":
      return null;
  }
}

/** A value that is complete yet could go on (a number, an enum value that prefixes another). */
function completeOpen(f: Frame): boolean {
  if (f.t === "num") return numberCost(f.node, f.text) === 0;
  if (f.t === "lit") return f.pos > 0 && f.cands.some((c) => f.node.texts[c].length === f.pos);
  return false;
}

function childDone(f: Frame): Frame {
  if (f.t === "obj") return { ...f, phase: Phase.CommaOrEnd };
  if (f.t === "arr") return { ...f, phase: Phase.CommaOrEnd, count: f.count + 1 };
  throw new Error(`json automaton: a ${f.t} frame has no children`);
}

/** Fewest bytes that complete this frame's value, given that a child on top of it completes first. */
function frameCost(f: Frame): number {
  switch (f.t) {
    case "obj": {
      const node = f.node;
      const rest = (c: number) => node.props[c].node.minLen + node.reqCost[c + 1] + 1;
      switch (f.phase) {
        case Phase.Start:
          return node.minLen;
        case Phase.Open:
          return Math.max(1, node.reqCost[f.next]);
        case Phase.AfterComma:
          return Math.min(...keyCandidates(node, f.next).map((c) => node.props[c].keyBytes.length + 1 + rest(c)));
        case Phase.Key:
          return Math.min(...f.cands.map((c) => node.props[c].keyBytes.length - f.pos + 1 + rest(c)));
        case Phase.Colon:
          return 1 + rest(f.cur);
        default: // Value, CommaOrEnd: `next` is the property after the one written
          return node.reqCost[f.next] + 1;
      }
    }
    case "arr": {
      const node = f.node;
      const m = node.items ? node.items.minLen : 0;
      switch (f.phase) {
        case Phase.Start:
          return node.minLen;
        case Phase.Open:
          return node.minItems === 0 ? 1 : node.minItems * (m + 1);
        case Phase.AfterComma: {
          const need = Math.max(1, node.minItems - f.count);
          return need * (m + 1);
        }
        case Phase.Value:
          return Math.max(0, node.minItems - f.count - 1) * (m + 1) + 1;
        default:
          return Math.max(0, node.minItems - f.count) * (m + 1) + 1;
      }
    }
    case "str": {
      const node = f.node;
      switch (f.phase) {
        case Phase.Start:
          return node.minLen;
        case Phase.Body:
          return f.need + Math.max(0, node.minLength - f.count) + 1;
        case Phase.Escape:
          return 1 + Math.max(0, node.minLength - f.count - 1) + 1;
        default:
          return 4 - f.hex + Math.max(0, node.minLength - f.count - 1) + 1;
      }
    }
    case "num":
      return numberCost(f.node, f.text);
    case "lit":
      return Math.min(...f.cands.map((c) => f.node.texts[c].length - f.pos));
    case "union":
      return f.node.minLen;
    case "done":
      return 0;
  }
}

function popDone(up: JsonState | null): JsonState {
  return up === null ? DONE : { frame: childDone(up.frame), up: up.up, tail: up.tail };
}

/** One byte; null when the grammar refuses it. */
export function feedJsonByte(state: JsonState, b: number): JsonState | null {
  let s = state;
  for (;;) {
    const f = s.frame;
    const r = step(f, b);
    if (r === null) {
      // A finished number / enum value ends where its parent's punctuation begins.
      if (!completeOpen(f)) return null;
      s = popDone(s.up);
      continue;
    }
    switch (r.k) {
      case 0:
        return { frame: r.frame, up: s.up, tail: s.tail };
      case 1:
        return popDone(s.up);
      case 2: {
        const parent: JsonState = { frame: r.frame, up: s.up, tail: s.tail };
        const child: JsonState = { frame: startFrame(r.child), up: parent, tail: frameCost(r.frame) + s.tail };
        if (!r.refeed) return child;
        s = child;
        continue;
      }
      case 3:
        s = { frame: r.frame, up: s.up, tail: s.tail };
        continue;
    }
  }
}

/** Fewest further bytes that make the text a complete value (0 when it is one). */
export function jsonCompletionCost(state: JsonState): number {
  return frameCost(state.frame) + state.tail;
}

/** The text so far is a complete value of the schema (it may still go on, as a number can). */
export function jsonStateComplete(state: JsonState): boolean {
  return state.frame.t === "done" || (state.up === null && completeOpen(state.frame));
}

/** The value is complete and no further byte may follow it (an object or string closed, say). */
export function jsonStateClosed(state: JsonState): boolean {
  return state.frame.t === "done";
}

/**
 * The character-level (UTF-8 byte-level) automaton of a schema's generation grammar: given the
 * state after some text, which next bytes are allowed, whether the value is complete, and how many
 * bytes at least it still needs. States are immutable; `advance` returns null on a refused byte.
 */
export class JsonSchemaAutomaton {
  readonly schema: JsonSchema;
  readonly options: Required<JsonGrammarOptions>;
  private readonly root: SchemaNode;

  constructor(schema: JsonSchema, opts: JsonGrammarOptions = {}) {
    assertSupportedSchema(schema);
    const options: Required<JsonGrammarOptions> = {
      maxFractionDigits: opts.maxFractionDigits ?? 6,
      maxIntegerDigits: opts.maxIntegerDigits ?? 15,
      defaultMaxStringLength: opts.defaultMaxStringLength ?? Infinity,
    };
    if (!isCount(options.maxFractionDigits)) throw new Error(`maxFractionDigits must be a non-negative integer (got ${options.maxFractionDigits})`);
    if (!isCount(options.maxIntegerDigits) || options.maxIntegerDigits < 1) throw new Error(`maxIntegerDigits must be a positive integer (got ${options.maxIntegerDigits})`);
    if (!(options.defaultMaxStringLength === Infinity || isCount(options.defaultMaxStringLength))) {
      throw new Error(`defaultMaxStringLength must be a non-negative integer (got ${options.defaultMaxStringLength})`);
    }
    this.schema = schema;
    this.options = options;
    this.root = compileNode(schema, "$", options);
  }

  /** The state before any text. */
  start(): JsonState {
    return { frame: startFrame(this.root), up: null, tail: 0 };
  }

  /** Feeds text (as UTF-8) or bytes; null as soon as one byte is refused. */
  advance(state: JsonState, input: string | ArrayLike<number>): JsonState | null {
    const bytes = typeof input === "string" ? utf8(input) : input;
    let s: JsonState | null = state;
    for (let i = 0; i < bytes.length && s !== null; i++) s = feedJsonByte(s, bytes[i]);
    return s;
  }

  /** Bytes (0-255) allowed next. */
  allowedNextBytes(state: JsonState): number[] {
    const out: number[] = [];
    for (let b = 0; b < 256; b++) if (feedJsonByte(state, b) !== null) out.push(b);
    return out;
  }

  /** Printable ASCII characters allowed next (the structural view; UTF-8 lead bytes not listed). */
  allowedNextChars(state: JsonState): string[] {
    return this.allowedNextBytes(state)
      .filter((b) => b >= 0x20 && b < 0x7f)
      .map((b) => String.fromCharCode(b));
  }

  isComplete(state: JsonState): boolean {
    return jsonStateComplete(state);
  }

  /** Fewest bytes still needed for a complete value (each is one token in a byte-level vocabulary). */
  minCompletionLength(state: JsonState): number {
    return jsonCompletionCost(state);
  }

  /** The whole text is a complete value in the generation grammar. */
  accepts(text: string): boolean {
    const s = this.advance(this.start(), text);
    return s !== null && jsonStateComplete(s);
  }

  /** The text can be continued into a complete value. */
  acceptsPrefix(text: string): boolean {
    return this.advance(this.start(), text) !== null;
  }
}
