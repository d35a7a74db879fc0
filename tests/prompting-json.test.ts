/**
 * Chapter 6 output verification: the JSON-schema automaton (hand-written accept / reject strings, its
 * completion lengths checked against their defining recurrence), the validator by hand, constrained
 * decoding on gpt2-austen (100 sampled generations, all schema-valid) and on a random-logits model
 * with partial-UTF-8 byte tokens, and the retry loop with a scripted generator.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { AutoTokenizer, GPT2LMHeadModel, Rng, generate, initEngine, tf } from "hands-on-llm";
import type { CausalLM } from "../lib/generation/generate";
import { JsonSchema, JsonSchemaAutomaton, JsonState, validateJsonSchema } from "../lib/prompting/json-schema";
import { ConstrainedTokenizer, allowedJsonTokens, extractJson, generateJson, generateJsonBatch, generateWithRetry, tokenByteTable } from "../lib/prompting/constrained";

const PERSON: JsonSchema = {
  type: "object",
  properties: {
    name: { type: "string", maxLength: 20 },
    age: { type: "integer", minimum: 0, maximum: 120 },
    tags: { type: "array", items: { type: "string", enum: ["a", "b"] }, maxItems: 3 },
    ok: { type: "boolean" },
  },
  required: ["name", "age", "tags", "ok"],
};

const BOOK: JsonSchema = {
  type: "object",
  properties: {
    title: { type: "string", minLength: 1, maxLength: 12 },
    scores: { type: "array", items: { type: "number", minimum: -1, maximum: 1 }, minItems: 1, maxItems: 3 },
    meta: {
      type: "object",
      properties: {
        kind: { enum: ["ode", "letter"] },
        year: { type: "integer", minimum: 1790, maximum: 1820 },
        note: { type: ["string", "null"], maxLength: 6 },
      },
      required: ["kind", "year"],
    },
  },
  required: ["title", "scores", "meta"],
};

const MOOD: JsonSchema = {
  type: "object",
  properties: {
    mood: { enum: ["calm", "cross", "gay"] },
    score: { type: "number", exclusiveMinimum: 0, maximum: 10 },
    draft: { const: false },
    who: { type: "string", maxLength: 8 },
    list: { type: "array", items: { type: "integer", minimum: -5, maximum: 5 }, maxItems: 2 },
  },
  required: ["mood", "score", "list"],
};

// ----- the automaton --------------------------------------------------------------------------------------

test("automaton accepts exactly the compact JSON of the schema (hand-written strings)", () => {
  const a = new JsonSchemaAutomaton(PERSON);
  const accept = [
    '{"name":"Emma","age":21,"tags":["a","b"],"ok":true}',
    '{"name":"","age":0,"tags":[],"ok":false}',
    '{"name":"Mr. \\"Knightley\\"\\n","age":120,"tags":["b","b","b"],"ok":true}',
    '{"name":"\\u00e9l\\u4e2d","age":7,"tags":[],"ok":true}',
    '{"name":"Émile 😀","age":37,"tags":["a"],"ok":false}',
    '{"name":"12345678901234567890","age":99,"tags":[],"ok":true}',
  ];
  for (const t of accept) {
    assert.ok(a.accepts(t), `should accept ${t}`);
    assert.deepEqual(validateJsonSchema(JSON.parse(t), PERSON), [], t);
  }
  const reject = [
    ['{"name":"Emma","age":121,"tags":[],"ok":true}', "age above maximum"],
    ['{"name":"Emma","age":-1,"tags":[],"ok":true}', "age below minimum"],
    ['{"name":"Emma","age":1.5,"tags":[],"ok":true}', "integer with a fraction"],
    ['{"name":"Emma","age":01,"tags":[],"ok":true}', "leading zero"],
    ['{"name":"Emma","age":-0,"tags":[],"ok":true}', "negative zero"],
    ['{"name":"Emma","age":1e2,"tags":[],"ok":true}', "exponent"],
    ['{"name":"123456789012345678901","age":1,"tags":[],"ok":true}', "name over maxLength"],
    ['{"name":"Emma","age":1,"tags":["a","b","a","b"],"ok":true}', "too many tags"],
    ['{"name":"Emma","age":1,"tags":["c"],"ok":true}', "tag outside enum"],
    ['{"name":"Emma","age":1,"tags":[],"ok":1}', "ok not boolean"],
    ['{"age":1,"name":"Emma","tags":[],"ok":true}', "property order differs from the schema"],
    ['{"name":"Emma","age":1,"tags":[]}', "missing required ok"],
    ['{"name":"Emma","age":1,"tags":[],"ok":true,"x":1}', "extra property"],
    ['{"name": "Emma","age":1,"tags":[],"ok":true}', "whitespace"],
    ['{"name":"Em\nma","age":1,"tags":[],"ok":true}', "raw control character"],
    ['{"name":"\\x","age":1,"tags":[],"ok":true}', "bad escape"],
    ['{"name":"\\ud83d","age":1,"tags":[],"ok":true}', "lone surrogate escape"],
    ['{"name":"E","age":1,"tags":[],"ok":true}}', "trailing bytes"],
    ['[1]', "wrong type"],
  ];
  for (const [t, why] of reject) assert.ok(!a.accepts(t), `should reject (${why}): ${t}`);
  // Prefixes: accepted while they can still be completed.
  assert.ok(a.acceptsPrefix('{"name":"Em'));
  assert.ok(!a.accepts('{"name":"Em'));
  assert.ok(a.acceptsPrefix('{"name":"Emma","age":12'));
  assert.ok(!a.acceptsPrefix('{"name":"Emma","age":13'.concat("0")), "130 > 120 is refused at its last digit");
  // Invalid UTF-8 bytes inside a string are refused (overlong, surrogate, stray continuation).
  const s0 = a.advance(a.start(), '{"name":"')!;
  assert.equal(a.advance(s0, [0xc0, 0x80]), null);
  assert.equal(a.advance(s0, [0xed, 0xa0, 0x80]), null);
  assert.equal(a.advance(s0, [0x80]), null);
  assert.notEqual(a.advance(s0, [0xc3, 0xa9]), null);
});

test("automaton: allowed next characters at hand-picked states", () => {
  const a = new JsonSchemaAutomaton(PERSON);
  const at = (t: string) => a.advance(a.start(), t) as JsonState;
  assert.deepEqual(a.allowedNextChars(a.start()), ["{"]);
  assert.deepEqual(a.allowedNextChars(at("{")), ['"']);
  assert.deepEqual(a.allowedNextChars(at('{"')), ["n"]);
  assert.deepEqual(a.allowedNextChars(at('{"name"')), [":"]);
  // 1 is complete, and 10..19 are all <= 120.
  assert.deepEqual(a.allowedNextChars(at('{"name":"E","age":1')), [",", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
  // 12 is complete; of 120..129 only 120 fits.
  assert.deepEqual(a.allowedNextChars(at('{"name":"E","age":12')), [",", "0"]);
  assert.deepEqual(a.allowedNextChars(at('{"name":"E","age":120')), [","]);
  // 0 cannot be followed by digits; the minus sign is refused since no negative age fits.
  assert.deepEqual(a.allowedNextChars(at('{"name":"E","age":0')), [","]);
  assert.deepEqual(a.allowedNextChars(at('{"name":"E","age":')), "0123456789".split(""));
  assert.deepEqual(a.allowedNextChars(at('{"name":"E","age":1,"tags":[')), ['"', "]"]);
  assert.deepEqual(a.allowedNextChars(at('{"name":"E","age":1,"tags":["a","b","a"')), ["]"]);
  // A full string: only the closing quote.
  assert.deepEqual(a.allowedNextChars(at('{"name":"' + "x".repeat(20))), ['"']);
  const done = at('{"name":"E","age":1,"tags":[],"ok":true}');
  assert.ok(a.isComplete(done));
  assert.deepEqual(a.allowedNextBytes(done), []);

  // Optional properties may be skipped, but never reordered.
  const mood = new JsonSchemaAutomaton(MOOD);
  assert.ok(mood.accepts('{"mood":"calm","score":0.5,"list":[]}'));
  assert.ok(mood.accepts('{"mood":"gay","score":10,"draft":false,"who":"Anne","list":[-5,5]}'));
  assert.ok(!mood.accepts('{"mood":"gay","score":0,"list":[]}'), "exclusiveMinimum 0");
  assert.ok(!mood.accepts('{"mood":"gay","score":10.000001,"list":[]}'));
  assert.ok(!mood.accepts('{"mood":"gay","score":1.1234567,"list":[]}'), "more than 6 fraction digits");
  assert.ok(!mood.accepts('{"mood":"gay","score":1,"draft":true,"list":[]}'), "const false");
  assert.ok(!mood.accepts('{"mood":"gay","score":1,"who":"A","draft":false,"list":[]}'));
  assert.deepEqual(mood.allowedNextChars(mood.advance(mood.start(), '{"mood":"c')!), ["a", "r"]);
  assert.deepEqual(mood.allowedNextChars(mood.advance(mood.start(), '{"mood":"calm","score":1,"')!), ["d", "l", "w"]);

  // Unions by first character, nested objects, code-point string lengths.
  const book = new JsonSchemaAutomaton(BOOK);
  assert.ok(book.accepts('{"title":"E","scores":[-1,0.25,1],"meta":{"kind":"ode","year":1815,"note":null}}'));
  assert.ok(book.accepts('{"title":"E","scores":[0],"meta":{"kind":"letter","year":1790,"note":"ééééé😀"}}'));
  assert.ok(!book.accepts('{"title":"E","scores":[0],"meta":{"kind":"letter","year":1790,"note":"éééééé😀"}}'), "7 code points > 6");
  assert.ok(!book.accepts('{"title":"","scores":[0],"meta":{"kind":"ode","year":1800}}'), "minLength 1");
  assert.ok(!book.accepts('{"title":"E","scores":[],"meta":{"kind":"ode","year":1800}}'), "minItems 1");
  assert.ok(!book.accepts('{"title":"E","scores":[1.0000001],"meta":{"kind":"ode","year":1800}}'));
  assert.ok(!book.accepts('{"title":"E","scores":[0],"meta":{"kind":"ode","year":1821}}'));

  const top = new JsonSchemaAutomaton({ type: "number", minimum: 0.25, maximum: 0.5 });
  for (const t of ["0.25", "0.3", "0.5", "0.4999"]) assert.ok(top.accepts(t), t);
  for (const t of ["0.2", "0.51", ".3", "0.", "00", "0.2499999"]) assert.ok(!top.accepts(t), t);
  assert.ok(top.acceptsPrefix("0.2") && !top.acceptsPrefix("0.1"));
});

test("minCompletionLength: hand-computed values, and exact by its recurrence on random states", () => {
  const person = new JsonSchemaAutomaton(PERSON);
  // {"name":"","age":0,"tags":[],"ok":true} is 39 bytes.
  assert.equal(person.minCompletionLength(person.start()), '{"name":"","age":0,"tags":[],"ok":true}'.length);
  assert.equal(person.minCompletionLength(person.advance(person.start(), '{"name":"Em')!), '","age":0,"tags":[],"ok":true}'.length);
  assert.equal(new JsonSchemaAutomaton({ type: "number", minimum: 0.25, maximum: 0.5 }).minCompletionLength(new JsonSchemaAutomaton({ type: "number", minimum: 0.25, maximum: 0.5 }).start()), 3); // 0.3
  const big = new JsonSchemaAutomaton({ type: "integer", minimum: 1000 });
  assert.equal(big.minCompletionLength(big.start()), 4);
  const neg = new JsonSchemaAutomaton({ type: "number", maximum: -0.5 });
  assert.equal(neg.minCompletionLength(neg.start()), 2); // -1
  assert.equal(neg.minCompletionLength(neg.advance(neg.start(), "-0")!), 2); // -0.5

  // cost(s) = 0 exactly when complete; otherwise some byte lowers it by one and none by more. This
  // recurrence pins cost down as the true shortest completion, checked on random walks.
  const rng = new Rng(5);
  for (const schema of [PERSON, BOOK, MOOD, { type: "number", minimum: -3.5, exclusiveMaximum: 2 }]) {
    const a = new JsonSchemaAutomaton(schema, { maxFractionDigits: 3 });
    for (let walk = 0; walk < 25; walk++) {
      let s = a.start();
      for (let stepNo = 0; stepNo < 60; stepNo++) {
        const cost = a.minCompletionLength(s);
        const next = a.allowedNextBytes(s).map((b) => ({ b, s: a.advance(s, [b]) as JsonState }));
        const costs = next.map((n) => a.minCompletionLength(n.s));
        assert.equal(cost === 0, a.isComplete(s));
        if (cost > 0) {
          assert.equal(Math.min(...costs), cost - 1, "a byte that brings completion one closer");
          assert.ok(costs.every((c) => c >= cost - 1));
        }
        if (next.length === 0) break;
        s = next[rng.int(next.length)].s;
      }
    }
  }
});

test("unsupported or contradictory schemas fail with a clear error", () => {
  const bad: [unknown, RegExp][] = [
    [{ type: "string", pattern: "^a" }, /unsupported keyword "pattern"/],
    [{ anyOf: [{ type: "string" }] }, /unsupported keyword "anyOf"/],
    [{ $ref: "#/x" }, /unsupported keyword "\$ref"/],
    [{ type: "object", properties: { a: { type: "string", format: "date" } } }, /\$\.a: unsupported keyword "format"/],
    [{ type: "array", items: [{ type: "string" }] }, /tuple validation/],
    [{ type: "date" }, /unknown type "date"/],
    [{ type: "object", properties: {}, required: ["x"] }, /required property "x" has no schema/],
    [{ type: "string", minLength: 3, maxLength: 2 }, /minLength 3 > maxLength 2/],
    [{ type: "integer", minimum: 1.2, maximum: 1.8 }, /no integer/],
    [{ type: "array" }, /needs an items schema/],
    [{}, /needs a type, enum or const/],
    [{ type: "string", enum: [1, 2] }, /no value of enum/],
    [{ type: "string", maxLength: -1 }, /maxLength must be a non-negative integer/],
  ];
  for (const [schema, re] of bad) assert.throws(() => new JsonSchemaAutomaton(schema as JsonSchema), re, JSON.stringify(schema));
  assert.throws(() => validateJsonSchema(1, { type: "number", multipleOf: 2 }), /unsupported keyword "multipleOf"/);
});

// ----- the validator ----------------------------------------------------------------------------------------

test("validateJsonSchema: errors with JSON paths, by hand", () => {
  assert.deepEqual(validateJsonSchema({ name: "Emma", age: 21, tags: ["a"], ok: true }, PERSON), []);
  const errors = validateJsonSchema({ name: "x".repeat(21), age: 130.5, tags: ["a", "c", "b", "a"], extra: 1 }, { ...(PERSON as object), additionalProperties: false });
  assert.deepEqual(errors, [
    { path: "$", message: 'missing required property "ok"' },
    { path: "$.name", message: "string longer than maxLength 20 (21 characters)" },
    { path: "$.age", message: "expected integer, got number" },
    { path: "$.tags", message: "array has 4 items, more than maxItems 3" },
    { path: "$.tags[1]", message: 'must be one of ["a","b"], got "c"' },
    { path: "$.extra", message: "property not allowed (additionalProperties is false)" },
  ]);
  assert.deepEqual(validateJsonSchema({ "odd key": -1 }, { type: "object", additionalProperties: { type: "integer", minimum: 0 } }), [
    { path: '$["odd key"]', message: "-1 is less than minimum 0" },
  ]);
  assert.deepEqual(validateJsonSchema("😀😀", { type: "string", maxLength: 2 }), [], "code points, not UTF-16 units");
  assert.equal(validateJsonSchema(null, { type: ["string", "null"] }).length, 0);
  assert.equal(validateJsonSchema({ a: [1, { b: 2 }] }, { const: { a: [1, { b: 2 }] } }).length, 0);
  assert.equal(validateJsonSchema({ a: [1, { b: 3 }] }, { const: { a: [1, { b: 2 }] } })[0].message, 'must equal {"a":[1,{"b":2}]}, got {"a":[1,{"b":3}]}');
  assert.deepEqual(validateJsonSchema(5, { exclusiveMaximum: 5 }), [{ path: "$", message: "5 is not less than exclusiveMaximum 5" }]);
  assert.deepEqual(validateJsonSchema(3, false), [{ path: "$", message: "no value is allowed here (schema false)" }]);
  assert.equal(validateJsonSchema({ anything: [1] }, true).length, 0);
});

// ----- constrained decoding on gpt2-austen ------------------------------------------------------------------

const MODEL_DIR = path.join(__dirname, "..", "data", "models", "gpt2-austen");

test("100 sampled generations from gpt2-austen under 3 schemas all parse and validate", async () => {
  await initEngine();
  const model = await GPT2LMHeadModel.fromPretrained(MODEL_DIR);
  const tok = await AutoTokenizer.fromPretrained(MODEL_DIR);
  const table = tokenByteTable(tok, model.config.vocab_size);
  assert.equal(table.source, "byte-level");
  const started = Date.now();
  // (schema, prompt, budget, batches of [rows, seed, temperature, topK, topP]); 40 + 30 + 30 = 100.
  const plans: [JsonSchema, string, number, [number, number, number, number, number][]][] = [
    [PERSON, "Emma:", 58, [[10, 1, 1.0, 50, 1], [10, 2, 1.2, 0, 1], [10, 3, 1.4, 0, 0.95], [10, 4, 1.5, 20, 1]]],
    [BOOK, "Ode:", 62, [[10, 5, 1.0, 0, 1], [10, 6, 1.3, 50, 1], [10, 7, 1.5, 0, 1]]],
    [MOOD, "Her mood:", 56, [[10, 8, 1.1, 0, 1], [10, 9, 1.3, 0, 0.9], [10, 10, 1.5, 0, 1]]],
  ];
  const texts: string[] = [];
  let multiByteTokens = 0;
  for (const [schema, prompt, maxNewTokens, batches] of plans) {
    for (const [rows, seed, temperature, topK, topP] of batches) {
      const results = generateJsonBatch(model, tok, new Array(rows).fill(prompt), schema, { doSample: true, temperature, topK, topP, seed, maxNewTokens });
      for (const r of results) {
        const value = JSON.parse(r.text);
        assert.deepEqual(validateJsonSchema(value, schema), [], r.text);
        assert.deepEqual(value, r.value);
        assert.ok(r.tokenIds.length <= maxNewTokens);
        // The text is exactly what the tokenizer decodes the generated ids to (EOS dropped).
        assert.equal(tok.decode(r.tokenIds.filter((id) => id !== tok.eosTokenId)), r.text);
        multiByteTokens += r.tokenIds.filter((id) => (table.bytes[id]?.length ?? 0) > 1).length;
        texts.push(r.text);
      }
    }
  }
  const seconds = (Date.now() - started) / 1000;
  assert.equal(texts.length, 100);
  assert.ok(new Set(texts).size >= 90, `sampling should vary (${new Set(texts).size} distinct)`);
  assert.ok(multiByteTokens > 100, "the model's multi-character tokens are used, not only single bytes");
  console.log(`# 100 constrained generations in ${seconds.toFixed(1)} s; e.g. ${texts[0]} | ${texts[45]} | ${texts[99]}`);

  // Greedy is deterministic and valid too.
  const g1 = generateJson(model, tok, "Emma:", PERSON, { maxNewTokens: 58 });
  const g2 = generateJson(model, tok, "Emma:", PERSON, { maxNewTokens: 58 });
  assert.equal(g1.text, g2.text);
  assert.deepEqual(validateJsonSchema(g1.value, PERSON), []);

  // The budget guard: with exactly the shortest value's length, the value still completes; one less is refused.
  const tight = generateJsonBatch(model, tok, new Array(4).fill("Emma:"), PERSON, { doSample: true, temperature: 1.5, topK: 0, seed: 11, maxNewTokens: 39 });
  for (const r of tight) assert.deepEqual(validateJsonSchema(JSON.parse(r.text), PERSON), [], r.text);
  assert.throws(() => generateJson(model, tok, "Emma:", PERSON, { maxNewTokens: 38 }), /maxNewTokens 38 is too small for this schema: its shortest JSON value takes 39 bytes/);
  // A long free string must be closed in time by the guard.
  const forced = generateJson(model, tok, "She said:", { type: "object", properties: { text: { type: "string" } }, required: ["text"] }, { doSample: true, temperature: 1.2, seed: 3, maxNewTokens: 20 });
  assert.ok(forced.text.startsWith('{"text":"') && forced.text.endsWith('"}'), forced.text);
  assert.ok(forced.tokenIds.length <= 20);
});

test("allowedJsonTokens: a token is allowed iff all its bytes are accepted and completion still fits", async () => {
  const tok = await AutoTokenizer.fromPretrained(MODEL_DIR);
  const table = tokenByteTable(tok, 2048);
  const a = new JsonSchemaAutomaton(PERSON);
  const state = a.advance(a.start(), '{"name":"Emma","age":1')!;
  const allowed = allowedJsonTokens(state, table, 30, 0);
  for (let id = 0; id < 2048; id++) {
    const bytes = table.bytes[id];
    const next = bytes ? a.advance(state, bytes) : null;
    const expected = next !== null && a.minCompletionLength(next) <= 29;
    assert.equal(allowed.has(id), expected, `token ${id} ${JSON.stringify(tok.decode([id]))}`);
  }
  assert.ok(!allowed.has(0), "EOS only once complete");
  // With no budget to spare, only tokens that bring completion at least one byte closer remain.
  const cost = a.minCompletionLength(state);
  const strict = allowedJsonTokens(state, table, cost, 0);
  for (const [, s] of strict) assert.ok(a.minCompletionLength(s) <= cost - 1);
  assert.ok(strict.size >= 1 && strict.size < allowed.size);
});

// ----- partial UTF-8 byte tokens: a random-logits model over a synthetic byte-level vocabulary ----------------

/** bytes_to_unicode, written out independently of the lib: printable bytes map to themselves. */
function byteSymbol(b: number): string {
  const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  if (printable) return String.fromCodePoint(b);
  let n = 0;
  for (let x = 0; x < b; x++) if (!((x >= 0x21 && x <= 0x7e) || (x >= 0xa1 && x <= 0xac) || (x >= 0xae && x <= 0xff))) n++;
  return String.fromCodePoint(256 + n);
}

test("random-logits model over byte tokens that split UTF-8 characters: always valid JSON", () => {
  // Vocabulary: EOS, the 256 single bytes, and multi-byte tokens that start or finish characters
  // ("é" = C3 A9, "😀" = F0 9F 98 80), alone or glued to JSON punctuation.
  const pieces: number[][] = [[0xc3, 0xa9], [0x22, 0xc3], [0xa9, 0x22], [0xf0, 0x9f], [0x98, 0x80], [0xf0, 0x9f, 0x98], [0x80, 0x22], [0x22, 0x2c], [0x3a, 0x22], [0xe2, 0x80], [0x99]];
  const vocab = new Map<string, number>([["<eos>", 0]]);
  for (let b = 0; b < 256; b++) vocab.set(byteSymbol(b), vocab.size);
  for (const p of pieces) vocab.set(p.map(byteSymbol).join(""), vocab.size);
  const idBytes = new Map<number, number[]>();
  for (const [token, id] of vocab) if (id > 0) idBytes.set(id, [...token].map((ch) => [...Array(256).keys()].find((b) => byteSymbol(b) === ch)!));
  const V = vocab.size;
  const tokenizer: ConstrainedTokenizer = {
    encode: (text) => [...Buffer.from(text, "utf8")].map((b) => 1 + b),
    decode: (ids) => Buffer.from(ids.flatMap((id) => idBytes.get(id) ?? [])).toString("utf8"),
    eosTokenId: 0,
    getVocab: () => vocab,
    allSpecialIds: [0],
  };
  // Logits: seeded noise, with non-ASCII pieces favoured so that split characters are common.
  const rng = new Rng(9);
  const model: CausalLM = {
    config: { vocab_size: V, n_positions: 256 },
    forward: (ids) => {
      const [B, T] = ids.shape;
      const data = new Float32Array(B * T * V);
      for (let i = 0; i < data.length; i++) {
        const id = i % V;
        const bytes = idBytes.get(id) ?? [];
        data[i] = rng.random() * 3 + (bytes.some((b) => b >= 0x80) ? 2.5 : 0);
      }
      return { logits: tf.tensor3d(data, [B, T, V]) };
    },
  };
  const schema: JsonSchema = {
    type: "object",
    properties: { word: { type: "string", maxLength: 5 }, say: { enum: ["né", "😀!"] }, n: { type: "integer", minimum: -9, maximum: 9 } },
    required: ["word", "say", "n"],
  };
  const table = tokenByteTable(tokenizer, V);
  assert.equal(table.source, "byte-level");
  const tensorsBefore = tf.memory().numTensors;
  let nonAscii = 0;
  for (let seed = 1; seed <= 6; seed++) {
    const results = generateJsonBatch(model, tokenizer, new Array(5).fill("x"), schema, { doSample: true, temperature: 1.0, topK: 0, seed, maxNewTokens: 40 });
    for (const r of results) {
      assert.deepEqual(validateJsonSchema(JSON.parse(r.text), schema), [], r.text);
      assert.equal(tokenizer.decode(r.tokenIds), r.text);
      if (/[^\x00-\x7f]/.test((r.value as { word: string }).word)) nonAscii++;
    }
  }
  assert.ok(nonAscii >= 5, `strings with characters assembled from byte pieces (${nonAscii})`);
  assert.equal(tf.memory().numTensors, tensorsBefore, "no tensor leaks");
});

test("a vocabulary without single-character tokens is refused up front", () => {
  const tokenizer: ConstrainedTokenizer = { encode: () => [0], decode: (ids) => ids.map((i) => ["ab", "{", "}"][i] ?? "").join("") };
  assert.throws(() => tokenByteTable(tokenizer, 3), /needs a single-character token for every printable ASCII character/);
});

test("generate's logitsProcessor hook masks tokens and sees the row's ids", async () => {
  await initEngine();
  const model = await GPT2LMHeadModel.fromPretrained(MODEL_DIR);
  const seen: number[] = [];
  const out = generate(model, [5, 6], {
    maxNewTokens: 4,
    doSample: true,
    seed: 1,
    logitsProcessor: (ids, logits) => {
      seen.push(ids.length);
      return logits.map((v, id) => (id === 100 + ids.length ? v : -Infinity));
    },
  });
  assert.deepEqual(out, [5, 6, 102, 103, 104, 105]);
  assert.deepEqual(seen, [2, 3, 4, 5]);
});

// ----- retry with validation --------------------------------------------------------------------------------

test("generateWithRetry: parse + validate, retry with the errors in the prompt, report attempts", async () => {
  const schema = PERSON;
  const script = [
    "Sure! {name: Emma}", // not JSON
    'Here it is: {"name":"Emma","age":200,"tags":["a"],"ok":true} hope that helps', // age too large
    '```json\n{"name":"Emma","age":20,"tags":["a"],"ok":true}\n```',
  ];
  const prompts: string[] = [];
  const result = await generateWithRetry(
    async (prompt, attempt) => {
      prompts.push(prompt);
      return script[attempt - 1];
    },
    (v) => validateJsonSchema(v, schema),
    { prompt: "Describe Emma as JSON.", maxAttempts: 4 },
  );
  assert.equal(result.ok, true);
  assert.deepEqual(result.value, { name: "Emma", age: 20, tags: ["a"], ok: true });
  assert.equal(result.attempts.length, 3);
  assert.equal(prompts[0], "Describe Emma as JSON.");
  assert.match(result.attempts[0].errors[0], /^not valid JSON/);
  assert.ok(prompts[1].startsWith("Describe Emma as JSON.") && prompts[1].includes("Sure! {name: Emma}") && prompts[1].includes("not valid JSON"));
  assert.deepEqual(result.attempts[1].errors, ["$.age: 200 is greater than maximum 120"]);
  assert.ok(prompts[2].includes("$.age: 200 is greater than maximum 120") && !prompts[2].includes("Sure!"), "feedback built from the original prompt");
  assert.deepEqual(result.attempts[2].errors, []);

  const failed = await generateWithRetry(() => '{"name":1}', (v) => validateJsonSchema(v, schema), { prompt: "p", maxAttempts: 2 });
  assert.equal(failed.ok, false);
  assert.equal(failed.value, undefined);
  assert.equal(failed.attempts.length, 2);
  assert.deepEqual(failed.attempts[1].errors, [
    '$: missing required property "age"',
    '$: missing required property "tags"',
    '$: missing required property "ok"',
    "$.name: expected string, got integer",
  ]);
  await assert.rejects(generateWithRetry(() => "{}", () => [], { prompt: "p", maxAttempts: 0 }), /maxAttempts must be a positive integer/);

  assert.deepEqual(extractJson('noise [1, {"a": "]"}] tail'), { ok: true, value: [1, { a: "]" }] });
  assert.equal(extractJson("nothing here").ok, false);
});
