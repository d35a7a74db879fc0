import { test } from "node:test";
import * as assert from "node:assert/strict";
import { CharTokenizer, initEngine, textGenerationPipeline, tf } from "hands-on-llm";
import type { CausalLM } from "hands-on-llm";
import {
  PromptTemplate,
  applyStopSequences,
  buildPrompt,
  callLLM,
  chainPrompts,
  fakeListLLM,
  fewShotMessages,
  fewShotPrompt,
  llmFromCausalLM,
  llmFromTextGeneration,
  llmFromTransformersPipeline,
  phi3ChatFormat,
  plainChatFormat,
} from "../lib/prompting/templates";
import {
  ZERO_SHOT_COT_TRIGGER,
  chainOfThoughtMessages,
  evaluateWithLLM,
  extractFinalAnswer,
  parseValueJudgement,
  proposeWithLLM,
  selfConsistency,
  splitThoughts,
  treeOfThought,
  treeOfThoughtPrompt,
} from "../lib/prompting/reasoning";

test("PromptTemplate: variables, formatting, missing values named, escaped and literal braces, partials", () => {
  const t = PromptTemplate.fromTemplate("Create a story about {summary} with the title {title}. Again: {summary}.");
  assert.deepEqual(t.inputVariables, ["summary", "title"]);
  assert.equal(t.format({ summary: "a lost cat", title: "Whiskers", extra: "ignored" }), "Create a story about a lost cat with the title Whiskers. Again: a lost cat.");
  assert.throws(() => t.format({ summary: "x" }), /missing value for \{title\} \(the template needs: summary, title\)/);
  assert.throws(() => t.format({}), /missing values for \{summary\}, \{title\}/);
  // "{{" / "}}" are literal braces; braces around non-identifiers (JSON) stay as written.
  const json = new PromptTemplate('Return {{"name": "{name}"}} or { "age": 3 } for {name}');
  assert.deepEqual(json.inputVariables, ["name"]);
  assert.equal(json.format({ name: "Ada" }), 'Return {"name": "Ada"} or { "age": 3 } for Ada');
  // Numbers are formatted as text; declared variables are checked against the template.
  assert.equal(new PromptTemplate("{a}+{b}", { inputVariables: ["a", "b"] }).format({ a: 1, b: 2.5 }), "1+2.5");
  assert.throws(() => new PromptTemplate("{a} {b}", { inputVariables: ["a", "c"] }), /uses \{b\} not listed in inputVariables; inputVariables lists c which the template never uses/);
  // Partials: fixed now or computed at format time, as LangChain's partial_variables.
  let calls = 0;
  const dated = PromptTemplate.fromTemplate("Today is {date}. {question}").partial({ date: () => `day-${++calls}` });
  assert.deepEqual(dated.inputVariables, ["question"]);
  assert.equal(dated.format({ question: "Q?" }), "Today is day-1. Q?");
  assert.equal(dated.format({ question: "Q?" }), "Today is day-2. Q?");
  assert.equal(t.partial({ title: "Fixed" }).format({ summary: "s" }), "Create a story about s with the title Fixed. Again: s.");
  assert.throws(() => t.partial({ titel: "x" }), /no variable \{titel\} \(it has: summary, title\)/);
});

test("buildPrompt assembles the book's components in its order and rejects unknown ones", () => {
  // Given out of order on purpose: the output follows persona, instruction, context, format, audience, tone, data.
  const prompt = buildPrompt({
    data: "Text to summarize: MY TEXT",
    tone: "The tone should be professional and clear.",
    persona: "You are an expert in Large Language models.",
    instruction: "Summarize the key findings of the paper provided.",
    audience: "The summary is designed for busy researchers.",
    context: "Extract the most crucial points.",
    format: "Create a bullet-point summary.",
  });
  assert.equal(
    prompt,
    [
      "You are an expert in Large Language models.",
      "Summarize the key findings of the paper provided.",
      "Extract the most crucial points.",
      "Create a bullet-point summary.",
      "The summary is designed for busy researchers.",
      "The tone should be professional and clear.",
      "Text to summarize: MY TEXT",
    ].join("\n"),
  );
  assert.equal(buildPrompt({ instruction: "Summarize.\n", data: "  Text  " }), "Summarize.\nText");
  assert.throws(() => buildPrompt({ instruction: "x", dataFormat: "y" } as never), /unknown component dataFormat \(known: persona, instruction/);
  assert.throws(() => buildPrompt({ tone: "  " }), /every component is empty/);
});

test("zero-, one- and few-shot prompts as chat turns and as text", () => {
  const oneShot = fewShotMessages({
    examples: [{ input: "A 'Gigamuru' is a type of Japanese musical instrument. An example of a sentence that uses the word Gigamuru is:", output: "I have a Gigamuru that my uncle gave me as a gift." }],
    input: "To 'screeg' something is to swing a sword at it. An example of a sentence that uses the word screeg is:",
  });
  assert.deepEqual(
    oneShot.map((m) => m.role),
    ["user", "assistant", "user"],
  );
  assert.equal(oneShot[1].content, "I have a Gigamuru that my uncle gave me as a gift.");
  assert.match(oneShot[2].content, /^To 'screeg'/);
  const zeroShot = fewShotMessages({ examples: [], input: "Classify: great movie", system: "You are a classifier." });
  assert.deepEqual(zeroShot, [
    { role: "system", content: "You are a classifier." },
    { role: "user", content: "Classify: great movie" },
  ]);
  assert.throws(() => fewShotMessages({ examples: [{ input: "a" } as never], input: "b" }), /example 0 needs string input and output/);
  const text = fewShotPrompt(
    { prefix: "Give the antonym.", examples: [{ input: "happy", output: "sad" }, { input: "tall", output: "short" }] },
    { input: "big" },
  );
  assert.equal(text, "Give the antonym.\n\nInput: happy\nOutput: sad\n\nInput: tall\nOutput: short\n\nInput: big\nOutput:");
  assert.throws(() => fewShotPrompt({ examples: [{ input: "x" }] }, { input: "y" }), /example 0: PromptTemplate: missing value for \{output\}/);
  // Chat formats for text-only models.
  assert.equal(plainChatFormat(zeroShot), "System: You are a classifier.\nUser: Classify: great movie\nAssistant:");
  assert.equal(phi3ChatFormat([{ role: "user", content: "Create a funny joke about chickens." }]), "<|user|>\nCreate a funny joke about chickens.<|end|>\n<|assistant|>\n");
});

test("stop sequences cut at the earliest one, and callLLM applies them even when the model ignores them", async () => {
  assert.equal(applyStopSequences("a\nObservation: b\nHuman: c", ["\nHuman:", "\nObservation"]), "a");
  assert.equal(applyStopSequences("no stop here", ["\nObservation"]), "no stop here");
  assert.equal(applyStopSequences("abc", []), "abc");
  const fake = fakeListLLM(["Thought\nObservation: invented", "x"]);
  assert.equal(await callLLM(fake, "p", { stop: ["\nObservation"] }), "Thought");
  assert.deepEqual(fake.calls[0].options, { stop: ["\nObservation"] });
  await callLLM(fake, "q");
  await assert.rejects(() => callLLM(fake, "r"), /called 3 times but only 2 responses were scripted/);
  await assert.rejects(() => callLLM((() => 42) as never, "p"), /returned number, not a string/);
});

test("chain prompting: each prompt uses the previous answer (name and slogan, then a sales pitch)", async () => {
  const fake = fakeListLLM(["  Name: ChatSmith. Slogan: Words that work.  ", "Meet ChatSmith!"]);
  const result = await chainPrompts(fake, [
    "Create a name and slogan for a chatbot that leverages LLMs.",
    (previous) => [{ role: "user", content: `Generate a very short sales pitch for the following product: '${previous}'` }],
  ]);
  assert.deepEqual(result.outputs, ["Name: ChatSmith. Slogan: Words that work.", "Meet ChatSmith!"]);
  assert.equal(result.output, "Meet ChatSmith!");
  assert.deepEqual(fake.calls[1].input, [{ role: "user", content: "Generate a very short sales pitch for the following product: 'Name: ChatSmith. Slogan: Words that work.'" }]);
  const templated = fakeListLLM(["A", "B"]);
  await chainPrompts(templated, ["Topic: {input}", "Improve: {previous} (topic {input})"], { input: "tea" });
  assert.deepEqual(templated.prompts, ["Topic: tea", "Improve: A (topic tea)"]);
  await assert.rejects(() => chainPrompts(templated, []), /at least one step/);
  await assert.rejects(() => chainPrompts(fakeListLLM(["x"]), ["{other}"]), /step 0: PromptTemplate: missing value for \{other\}/);
});

/**
 * A causal LM that "knows" one text: at sequence length T it puts all its weight on the text's
 * character T. Counts forward calls, so early stopping is visible.
 */
function scriptedCausalLM(tok: CharTokenizer, fullText: string) {
  const target = tok.encode(fullText);
  const counter = { calls: 0 };
  const model: CausalLM = {
    config: { vocab_size: tok.vocabSize, n_positions: 1024 },
    forward(inputIds) {
      counter.calls++;
      const [B, T] = inputIds.shape;
      const logits = new Float32Array(B * T * tok.vocabSize).fill(-10);
      const next = target[Math.min(T, target.length - 1)];
      for (let b = 0; b < B; b++) logits[(b * T + T - 1) * tok.vocabSize + next] = 10;
      return { logits: tf.tensor3d(logits, [B, T, tok.vocabSize]) };
    },
  };
  return { model, counter };
}

test("llmFromCausalLM stops generating at a stop sequence; llmFromTextGeneration returns the continuation only", async () => {
  await initEngine({ verbose: false });
  const prompt = "Q: 2+2?\nThought:";
  const continuation = " add\nAction: Calculator\nAction Input: 2+2\nObservation: 5 (made up)\nThought: done";
  const tok = CharTokenizer.fromText(prompt + continuation + "UserAssistant:");
  const { model, counter } = scriptedCausalLM(tok, prompt + continuation);
  const llm = llmFromCausalLM(model, tok, { defaults: { maxNewTokens: 60 } });
  const before = tf.memory().numTensors;
  const out = await llm(prompt, { stop: ["\nObservation"] });
  assert.equal(out, " add\nAction: Calculator\nAction Input: 2+2");
  // One forward per new token, up to and including the stop sequence's last character.
  assert.equal(counter.calls, continuation.indexOf("\nObservation") + "\nObservation".length);
  assert.equal(tf.memory().numTensors, before, "generation leaks tensors");
  counter.calls = 0;
  assert.equal(await llm(prompt, { maxNewTokens: 4 }), " add");
  assert.equal(counter.calls, 4);
  // The lib's pipeline: only new text (returnFullText false), cut at the stop sequence afterwards.
  const pipe = textGenerationPipeline(model, tok);
  const viaPipe = llmFromTextGeneration(pipe, { defaults: { maxNewTokens: 45 } });
  assert.equal(await viaPipe(prompt, { stop: ["\nAction Input"] }), " add\nAction: Calculator");
  // Chat input is rendered with the chat format before tokenizing (the fake model scores any text).
  const chatOut = await viaPipe([{ role: "user", content: "Q" }], { maxNewTokens: 2 });
  assert.equal(typeof chatOut, "string");
  await assert.rejects(async () => viaPipe([{ role: "user" }] as never), /message 0 is not a \{role, content\} pair/);
});

test("llmFromTransformersPipeline maps option names and reads the reply of text or chat output", async () => {
  const seen: Array<{ input: unknown; options: Record<string, unknown> }> = [];
  const fakePipe = async (input: unknown, options: Record<string, unknown>) => {
    seen.push({ input, options });
    if (Array.isArray(input)) return [{ generated_text: [...input, { role: "assistant", content: "Why did the chicken...\nHuman: more" }] }];
    return [{ generated_text: " Paris." }];
  };
  const llm = llmFromTransformersPipeline(fakePipe, { maxNewTokens: 50 });
  assert.equal(await llm("The capital of France is", { doSample: false }), " Paris.");
  assert.deepEqual(seen[0].options, { return_full_text: false, max_new_tokens: 50, do_sample: false });
  assert.equal(await llm([{ role: "user", content: "joke" }], { stop: ["\nHuman:"], temperature: 0.7, topP: 0.9 }), "Why did the chicken...");
  assert.deepEqual(seen[1].options, { return_full_text: false, max_new_tokens: 50, temperature: 0.7, top_p: 0.9 });
  const broken = llmFromTransformersPipeline(async () => [{}]);
  await assert.rejects(async () => broken("x"), /returned no generated_text/);
});

test("chain-of-thought prompts: few-shot worked examples and the zero-shot trigger", () => {
  const question = "The cafeteria had 23 apples. If they used 20 to make lunch and bought 6 more, how many apples do they have?";
  const zero = chainOfThoughtMessages(question);
  assert.deepEqual(zero, [{ role: "user", content: `${question} Let's think step-by-step.` }]);
  assert.equal(ZERO_SHOT_COT_TRIGGER, "Let's think step-by-step.");
  const few = chainOfThoughtMessages(question, {
    examples: [
      {
        question: "Roger has 5 tennis balls. He buys 2 more cans of tennis balls. Each can has 3 tennis balls. How many tennis balls does he have now?",
        answer: "Roger started with 5 balls. 2 cans of 3 tennis balls each is 6 tennis balls. 5 + 6 = 11. The answer is 11.",
      },
    ],
  });
  assert.deepEqual(few.map((m) => m.role), ["user", "assistant", "user"]);
  assert.equal(few[2].content, question, "few-shot CoT needs no trigger: the example shows the reasoning");
  assert.equal(chainOfThoughtMessages(question, { trigger: false })[0].content, question);
  assert.throws(() => chainOfThoughtMessages("  "), /question is empty/);
  const tot = treeOfThoughtPrompt(question);
  assert.match(tot, /^Imagine three different experts are answering this question\./);
  assert.ok(tot.includes(`The question is '${question}'`));
});

test("extractFinalAnswer reads 'The answer is', 'Final Answer:', else the last number", () => {
  assert.equal(extractFinalAnswer("5 + 6 = 11. The answer is 11."), "11");
  assert.equal(extractFinalAnswer("23 - 20 = 3, 3 + 6 = 9. So they have 9 apples."), "9");
  assert.equal(extractFinalAnswer("Thought: done\nFinal Answer: 1,104.50 EUR"), "1104.5");
  assert.equal(extractFinalAnswer("The answer is Paris."), "paris");
  assert.equal(extractFinalAnswer("I think the answer is 3. No wait, the answer is 9 apples."), "9");
  assert.equal(extractFinalAnswer("no idea"), null);
});

test("selfConsistency: majority vote with counts over differently seeded samples", async () => {
  const fake = fakeListLLM([
    "23 - 20 = 3. 3 + 6 = 9. The answer is 9.",
    "23 - 20 = 3, then 3 + 6. The answer is 9.",
    "23 + 6 = 29. The answer is 29.",
    "I am not sure.",
    "They used 20, so 3 remain; buying 6 gives 9 apples.",
  ]);
  const result = await selfConsistency(fake, "How many apples?", { samples: 5 });
  assert.equal(result.answer, "9");
  assert.deepEqual(result.votes, [
    { answer: "9", count: 3 },
    { answer: "29", count: 1 },
  ]);
  assert.equal(result.agreement, 3 / 4, "the sample without an answer does not vote");
  assert.deepEqual(result.answers, ["9", "9", "29", null, "9"]);
  // Sampling on and a different seed per sample, else a seeded local model repeats itself.
  assert.deepEqual(fake.calls.map((c) => c.options.seed), [0, 1, 2, 3, 4]);
  assert.ok(fake.calls.every((c) => c.options.doSample === true));
  // Ties go to the answer seen first; a custom extractor; no answers at all.
  const tie = await selfConsistency(fakeListLLM(["B", "A", "A", "B"]), "p", { samples: 4, extractAnswer: (t) => t.trim() });
  assert.equal(tie.answer, "B");
  const none = await selfConsistency(fakeListLLM(["?", "?"]), "p", { samples: 2, extractAnswer: () => null });
  assert.equal(none.answer, null);
  assert.equal(none.agreement, 0);
  await assert.rejects(() => selfConsistency(fake, "p", { samples: 0 }), /samples must be a positive integer/);
});

test("treeOfThought: breadth-first beam search finds the known best path that greedy misses", async () => {
  // A toy tree where the best first step looks worse: greedy (breadth 1) takes "a", the beam keeps "b" too.
  const scores: Record<string, number> = { a: 0.9, b: 0.5, aa: 0.2, ab: 0.1, ba: 0.95, bb: 0.3 };
  const problem = {
    root: "",
    propose: (s: string) => (s.length < 2 ? [s + "a", s + "b"] : []),
    evaluate: (s: string) => scores[s],
    depth: 2,
  };
  const greedy = await treeOfThought({ ...problem, breadth: 1 });
  assert.deepEqual(greedy.path, ["", "a", "aa"]);
  assert.equal(greedy.evaluations, 4);
  const beam = await treeOfThought({ ...problem, breadth: 2 });
  assert.deepEqual(beam.path, ["", "b", "ba"]);
  assert.equal(beam.best.score, 0.95);
  assert.equal(beam.evaluations, 6);
  assert.deepEqual(
    beam.levels[1].map((c) => [c.state, c.kept]),
    [["aa", false], ["ab", false], ["ba", true], ["bb", true]],
  );
  assert.equal(beam.stoppedBy, "depth");

  // Reach 23 from 1 in 5 moves of +3, *2, -1: a beam wider than the tree equals brute force.
  type State = { value: number; moves: string[] };
  const moves: Array<[string, (v: number) => number]> = [["+3", (v) => v + 3], ["*2", (v) => v * 2], ["-1", (v) => v - 1]];
  const target = 23;
  const search = await treeOfThought<State>({
    root: { value: 1, moves: [] },
    propose: (s) => moves.map(([name, f]) => ({ value: f(s.value), moves: [...s.moves, name] })),
    evaluate: (s) => -Math.abs(target - s.value),
    breadth: 3 ** 5,
    depth: 5,
  });
  let bestBrute = -Infinity;
  const walk = (value: number, left: number) => {
    if (left === 0) bestBrute = Math.max(bestBrute, -Math.abs(target - value));
    else for (const [, f] of moves) walk(f(value), left - 1);
  };
  walk(1, 5);
  assert.equal(search.best.score, bestBrute);
  const replay = search.best.state.moves.reduce((v, m) => moves.find(([n]) => n === m)![1](v), 1);
  assert.equal(replay, search.best.state.value);
  assert.equal(search.evaluations, 3 + 9 + 27 + 81 + 243);
  // Early stop on a solution, and dedupe by key.
  const solved = await treeOfThought<State>({
    root: { value: 1, moves: [] },
    propose: (s) => moves.map(([name, f]) => ({ value: f(s.value), moves: [...s.moves, name] })),
    evaluate: (s) => -Math.abs(8 - s.value),
    breadth: 2,
    depth: 6,
    isSolution: (s) => s.value === 8,
    key: (s) => String(s.value),
  });
  assert.equal(solved.stoppedBy, "solution");
  assert.equal(solved.best.state.value, 8);
  assert.ok(solved.levels.length < 6);
  await assert.rejects(() => treeOfThought({ ...problem, breadth: 0 }), /breadth must be a positive integer/);
  await assert.rejects(() => treeOfThought({ ...problem, breadth: 1, evaluate: () => NaN }), /evaluate returned NaN/);
});

test("treeOfThought with model-backed propose and evaluate callbacks", async () => {
  // Proposals for the root, then the value of each; then proposals for the kept state and their values.
  const fake = fakeListLLM([
    "1. Use a knife\n2. Use a spoon",
    "impossible",
    "likely",
    "- Spoon the soup\n- Spoon the jelly",
    "sure",
    "likely",
  ]);
  const result = await treeOfThought<string[]>({
    root: [],
    propose: proposeWithLLM(fake, { prompt: (s) => `Steps so far: ${s.join(" / ") || "none"}. Propose next steps.`, extend: (s, t) => [...s, t] }),
    evaluate: evaluateWithLLM(fake, { prompt: (s) => `Evaluate: ${s.join(" / ")}` }),
    breadth: 1,
    depth: 2,
  });
  assert.deepEqual(result.path[2], ["Use a spoon", "Spoon the soup"]);
  assert.equal(result.best.score, 20);
  assert.deepEqual(fake.prompts, [
    "Steps so far: none. Propose next steps.",
    "Evaluate: Use a knife",
    "Evaluate: Use a spoon",
    "Steps so far: Use a spoon. Propose next steps.",
    "Evaluate: Use a spoon / Spoon the soup",
    "Evaluate: Use a spoon / Spoon the jelly",
  ]);
  assert.deepEqual(splitThoughts("1) a\n\n* b\nStep 3: c"), ["a", "b", "c"]);
  assert.equal(parseValueJudgement("This is likely but not sure... impossible"), 0.001);
  assert.equal(parseValueJudgement("Score: 7/10"), 7);
  assert.equal(parseValueJudgement("no idea"), 0);
});
