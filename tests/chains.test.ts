import { test } from "node:test";
import * as assert from "node:assert/strict";
import { PromptTemplate, fakeListLLM } from "../lib/prompting/templates";
import { CONVERSATION_PROMPT, ConversationChain, LLMChain, SequentialChain } from "../lib/chains/chains";
import { ConversationBufferMemory, ConversationBufferWindowMemory, ConversationSummaryMemory, SUMMARY_PROMPT, getBufferString } from "../lib/chains/memory";
import { AGENT_STOPPED_MESSAGE, REACT_PROMPT, ReActAgent, formatScratchpad, parseReActOutput } from "../lib/chains/agent";
import { calculatorTool, dateTool, daysBetween, evaluateArithmetic, formatNumber, parseIsoDate, searchTool } from "../lib/chains/tools";

test("evaluateArithmetic by hand: precedence, associativity, unary minus, powers, decimals", () => {
  const cases: Array<[string, number]> = [
    ["2 + 3 * 4", 14],
    ["(2 + 3) * 4", 20],
    ["7 - 2 - 1", 4], // left-associative
    ["64 / 4 / 2", 8],
    ["10 / 4", 2.5],
    ["2 ^ 3 ^ 2", 512], // right-associative: 2^9
    ["-2 ^ 2", -4], // as Python's -2**2
    ["(-2) ^ 2", 4],
    ["2 ^ -1", 0.5],
    ["2 ** 3", 8],
    ["--3", 3],
    ["-(3 - 5) * 1.5", 3],
    [".5 + 1e2", 100.5],
    ["3 * -2", -6],
    [" 1299*0.85 ", 1299 * 0.85],
    ["((1))", 1],
  ];
  for (const [expr, expected] of cases) assert.equal(evaluateArithmetic(expr), expected, expr);
  assert.equal(formatNumber(evaluateArithmetic("0.1 + 0.2")), "0.3");
  assert.equal(formatNumber(1299 * 0.85), "1104.15");
});

test("evaluateArithmetic agrees with an independent evaluator on random + - * / expressions", () => {
  // The oracle is the JS engine itself (test-side only; the lib never evaluates code), on expressions
  // without ^ where JS and arithmetic agree on precedence.
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const gen = (depth: number): string => {
    if (depth === 0 || rand() < 0.3) return String(Math.round(rand() * 100) / (rand() < 0.5 ? 1 : 10));
    const r = rand();
    if (r < 0.15) return `-${gen(depth - 1)}`;
    if (r < 0.3) return `(${gen(depth - 1)})`;
    return `${gen(depth - 1)} ${"+-*/"[Math.floor(rand() * 4)]} ${gen(depth - 1)}`;
  };
  let checked = 0;
  for (let i = 0; i < 300; i++) {
    let expr = gen(4);
    // JS reads "--" as decrement: space repeated unary minus out (the parser accepts both).
    while (expr.includes("--")) expr = expr.replace(/--/g, "- -");
    const expected = Function(`return (${expr});`)() as number;
    if (!Number.isFinite(expected)) {
      assert.throws(() => evaluateArithmetic(expr), /division by zero|not a finite|too large/, expr);
      continue;
    }
    const got = evaluateArithmetic(expr);
    assert.ok(Math.abs(got - expected) <= 1e-9 * Math.max(1, Math.abs(expected)), `${expr}: ${got} vs ${expected}`);
    checked++;
  }
  assert.ok(checked > 250);
});

test("evaluateArithmetic errors: division by zero, bad syntax, unknown characters", () => {
  assert.throws(() => evaluateArithmetic("1 / 0"), /division by zero at position 3/);
  assert.throws(() => evaluateArithmetic("4 / (2 - 2)"), /division by zero/);
  assert.throws(() => evaluateArithmetic("0 ^ -1"), /division by zero/);
  assert.throws(() => evaluateArithmetic("2 +"), /expected a number or "\(", found the end of the expression/);
  assert.throws(() => evaluateArithmetic("(1 + 2"), /expected "\)" to close the "\(" at position 1/);
  assert.throws(() => evaluateArithmetic("1 + 2)"), /unexpected "\)" at position 6/);
  assert.throws(() => evaluateArithmetic("2 3"), /unexpected "3" at position 3/);
  assert.throws(() => evaluateArithmetic("2(3)"), /unexpected "\("/);
  assert.throws(() => evaluateArithmetic("process.exit(1)"), /unexpected character "p" at position 1/);
  assert.throws(() => evaluateArithmetic("   "), /empty/);
  assert.throws(() => evaluateArithmetic("(-8) ^ (1/3)"), /not a number/);
  assert.throws(() => evaluateArithmetic("10 ^ 400"), /too large/);
});

test("calculator, date and search tools", async () => {
  const calc = calculatorTool();
  assert.equal(calc.name, "Calculator");
  assert.equal(await calc.func(" `1299 * 0.85` "), "1104.15");
  assert.equal(await calc.func('"2^10 ="'), "1024");
  // Fixed "now": 28 February 2024, a Wednesday, in a leap year.
  const date = dateTool({ now: () => new Date(2024, 1, 28, 12, 0, 0) });
  assert.equal(await date.func("today"), "2024-02-28 (Wednesday)");
  assert.equal(await date.func("2024-03-01"), "2 days from today (2024-02-28) to 2024-03-01");
  assert.equal(await date.func("from 2024-01-01 to 2024-12-25"), "359 days from 2024-01-01 to 2024-12-25");
  assert.equal(daysBetween("2024-03-01", "2024-04-01"), 31, "across a DST change: whole days");
  assert.equal(daysBetween("2024-02-28", "2023-12-25"), -65);
  assert.throws(() => parseIsoDate("2023-02-29"), /no such day: 2023-02-29/);
  assert.throws(() => parseIsoDate("28/02/2024"), /not a date in YYYY-MM-DD form/);
  assert.throws(() => date.func("2023-02-29"), /no such day/);

  const corpus = ["The MacBook Pro 14-inch costs $1,599 in the US.", "Paris is the capital of France.", "A MacBook Air costs $999.", "Bananas are yellow."];
  const asked: Array<[string, number]> = [];
  const search = searchTool(
    (query, k) => {
      asked.push([query, k]);
      const words = query.toLowerCase().split(/\W+/).filter(Boolean);
      return corpus
        .map((text) => ({ text, score: words.filter((w) => text.toLowerCase().includes(w)).length }))
        .filter((p) => p.score > 0)
        .sort((a, b) => b.score - a.score)
        .slice(0, k);
    },
    { k: 2 },
  );
  assert.equal(await search.func('"MacBook Pro price"'), "[1] The MacBook Pro 14-inch costs $1,599 in the US.\n[2] A MacBook Air costs $999.");
  assert.deepEqual(asked[0], ["MacBook Pro price", 2]);
  assert.equal(await search.func("zebra"), "No results found.");
  await assert.rejects(async () => search.func("  "), /query is empty/);
  assert.throws(() => searchTool((() => []) as never, { k: 0 }), /k must be a positive integer/);
});

test("parseReActOutput: actions, final answers, the paper's Tool[input] form, and errors", () => {
  assert.deepEqual(parseReActOutput(" I should compute it.\nAction: Calculator\nAction Input: 2 + 2"), {
    type: "action",
    tool: "Calculator",
    toolInput: "2 + 2",
    thought: "I should compute it.",
    log: " I should compute it.\nAction: Calculator\nAction Input: 2 + 2",
  });
  const quoted = parseReActOutput('Thought: search\naction 1: [Search]\nACTION INPUT: "MacBook Pro price"\nThought: extra');
  assert.equal(quoted.type === "action" && `${quoted.tool}|${quoted.toolInput}`, "Search|MacBook Pro price");
  const paper = parseReActOutput("Thought: look it up\nAction: Search[Apple Remote]");
  assert.equal(paper.type === "action" && `${paper.tool}|${paper.toolInput}`, "Search|Apple Remote");
  const finish = parseReActOutput(" I now know the final answer\nFinal Answer: It costs 1359.15 EUR.");
  assert.deepEqual(finish.type === "finish" && [finish.output, finish.thought], ["It costs 1359.15 EUR.", "I now know the final answer"]);
  // An action before a final answer wins: that answer was written without the observation.
  assert.equal(parseReActOutput("Action: Calculator\nAction Input: 1+1\nFinal Answer: 3").type, "action");
  const noInput = parseReActOutput("Thought: hmm\nAction: Calculator");
  assert.equal(noInput.type === "error" && noInput.observation, "Could not parse LLM output. Invalid Format: Missing 'Action Input:' after 'Action:'");
  const noAction = parseReActOutput("I like turtles.");
  assert.equal(noAction.type === "error" && noAction.observation, "Could not parse LLM output. Invalid Format: Missing 'Action:' after 'Thought:'");
  assert.equal(formatScratchpad([{ log: " t\nAction: A\nAction Input: x", observation: "42" }]), " t\nAction: A\nAction Input: x\nObservation: 42\nThought: ");
});

test("ReActAgent reaches a final answer with the calculator; generation is cut at Observation", async () => {
  const fake = fakeListLLM([
    " I need the price in USD first.\nAction: Search\nAction Input: MacBook Pro price\nObservation: $2,000 (invented by the model)\nThought: ...",
    " The price is $1,599. Now convert it.\nAction: Calculator\nAction Input: 1599 * 0.85",
    " I now know the final answer\nFinal Answer: A MacBook Pro costs $1,599, about 1359.15 EUR.",
  ]);
  const steps: string[] = [];
  const agent = new ReActAgent({
    llm: fake,
    tools: [searchTool(() => ["The MacBook Pro 14-inch costs $1,599 in the US."], { k: 1 }), calculatorTool()],
    maxIterations: 5,
    onStep: (s) => steps.push(`${s.tool}:${s.observation}`),
  });
  const result = await agent.invoke("What is the current price of a MacBook Pro in USD? How much would it cost in EUR if the exchange rate is 0.85 EUR for 1 USD?");
  assert.equal(result.stoppedBy, "final_answer");
  assert.equal(result.output, "A MacBook Pro costs $1,599, about 1359.15 EUR.");
  assert.equal(result.iterations, 3);
  assert.deepEqual(steps, ["Search:[1] The MacBook Pro 14-inch costs $1,599 in the US.", "Calculator:1359.15"]);
  assert.deepEqual(result.steps.map((s) => s.kind), ["tool", "tool"]);
  assert.equal(formatNumber(1599 * 0.85), "1359.15");
  // The prompt is the book's ReAct template with the tools listed; each call asks to stop at Observation.
  const first = fake.prompts[0];
  assert.ok(first.startsWith("Answer the following questions as best you can. You have access to the following tools:\n\nSearch: "));
  assert.ok(first.includes("Action: the action to take, should be one of [Search, Calculator]"));
  assert.ok(first.endsWith("Question: What is the current price of a MacBook Pro in USD? How much would it cost in EUR if the exchange rate is 0.85 EUR for 1 USD?\nThought:"));
  assert.ok(fake.calls.every((c) => c.options.stop?.includes("\nObservation")));
  // The model's invented observation was cut; the real one follows, then a fresh "Thought: ".
  const third = fake.prompts[2];
  assert.ok(!third.includes("invented"));
  assert.ok(
    third.endsWith(
      "Thought: I need the price in USD first.\nAction: Search\nAction Input: MacBook Pro price\nObservation: [1] The MacBook Pro 14-inch costs $1,599 in the US.\nThought: " +
        " The price is $1,599. Now convert it.\nAction: Calculator\nAction Input: 1599 * 0.85\nObservation: 1359.15\nThought: ",
    ),
  );
  assert.ok(result.transcript.startsWith("Question: What is the current price"));
  assert.ok(result.transcript.endsWith("Final Answer: A MacBook Pro costs $1,599, about 1359.15 EUR."));
});

test("ReActAgent feeds back unknown tools, unparsable output and tool errors, then recovers", async () => {
  const fake = fakeListLLM([
    " Let me browse.\nAction: Browser\nAction Input: apple.com",
    " I am not sure what to do.",
    " Divide.\nAction: calculator\nAction Input: 1 / 0",
    " Fix it.\nAction: Calculator\nAction Input: 1 / 4",
    " Done.\nFinal Answer: 0.25",
  ]);
  const agent = new ReActAgent({ llm: fake, tools: [calculatorTool(), dateTool()] });
  const result = await agent.invoke({ input: "What is 1 divided by 4?" });
  assert.equal(result.output, "0.25");
  assert.deepEqual(result.steps.map((s) => s.kind), ["invalid_tool", "parse_error", "tool_error", "tool"]);
  assert.deepEqual(result.steps.map((s) => s.observation), [
    "Browser is not a valid tool, try one of [Calculator, Date].",
    "Could not parse LLM output. Invalid Format: Missing 'Action:' after 'Thought:'",
    "Error: division by zero at position 3",
    "0.25",
  ]);
  assert.equal(result.steps[2].tool, "calculator", "a tool name in another case still finds the tool");
  // Each observation went back to the model in the next prompt.
  assert.ok(fake.prompts[1].includes("Observation: Browser is not a valid tool, try one of [Calculator, Date].\nThought: "));
  assert.ok(fake.prompts[2].includes(" I am not sure what to do.\nObservation: Could not parse LLM output."));
  assert.ok(fake.prompts[3].includes("Observation: Error: division by zero"));
});

test("ReActAgent stops at maxIterations with LangChain's message; bad configurations are refused", async () => {
  const loop = " Again.\nAction: Calculator\nAction Input: 1 + 1";
  const fake = fakeListLLM([loop, loop, loop, loop]);
  const result = await new ReActAgent({ llm: fake, tools: [calculatorTool()], maxIterations: 3 }).invoke("Loop forever");
  assert.equal(result.stoppedBy, "max_iterations");
  assert.equal(result.output, AGENT_STOPPED_MESSAGE);
  assert.equal(result.iterations, 3);
  assert.equal(result.steps.length, 3);
  assert.equal(fake.calls.length, 3, "no model call past the limit");
  assert.ok(result.transcript.endsWith(`Observation: 2\nThought: ${AGENT_STOPPED_MESSAGE}`));
  const llm = fakeListLLM([]);
  assert.throws(() => new ReActAgent({ llm, tools: [] }), /at least one tool/);
  assert.throws(() => new ReActAgent({ llm, tools: [calculatorTool(), calculatorTool()] }), /two tools are named "Calculator"/);
  assert.throws(() => new ReActAgent({ llm, tools: [calculatorTool()], maxIterations: 0 }), /maxIterations must be a positive integer/);
  assert.throws(() => new ReActAgent({ llm, tools: [calculatorTool()], prompt: "Question: {input}\n{agent_scratchpad}" }), /lacks \{tools\}, \{tool_names\}/);
  await assert.rejects(() => new ReActAgent({ llm, tools: [calculatorTool()] }).invoke(""), /question is empty/);
  assert.deepEqual(REACT_PROMPT.inputVariables, ["tools", "tool_names", "input", "agent_scratchpad"]);
});

test("LLMChain and SequentialChain pass named outputs (the book's title -> character -> story)", async () => {
  const fake = fakeListLLM([" The Lost Melody ", "Ella, a quiet girl, hums her mother's songs.", "Once upon a time..."]);
  const title = new LLMChain({ llm: fake, prompt: "<|user|>\nCreate a title for a story about {summary}. Only return the title.<|end|>\n<|assistant|>", outputKey: "title" });
  const character = new LLMChain({
    llm: fake,
    prompt: new PromptTemplate("<|user|>\nDescribe the main character of a story about {summary} with the title {title}. Use only two sentences.<|end|>\n<|assistant|>"),
    outputKey: "character",
  });
  const story = new LLMChain({
    llm: fake,
    prompt: "<|user|>\nCreate a story about {summary} with the title {title}. The main character is: {character}. Only return the story and it cannot be longer than one paragraph.<|end|>\n<|assistant|>",
    outputKey: "story",
  });
  const chain = new SequentialChain({ chains: [title, character, story] });
  assert.deepEqual(chain.inputKeys, ["summary"]);
  const result = await chain.invoke("a girl that lost her mother");
  assert.deepEqual(result, {
    summary: "a girl that lost her mother",
    title: "The Lost Melody",
    character: "Ella, a quiet girl, hums her mother's songs.",
    story: "Once upon a time...",
  });
  assert.equal(fake.prompts[1], "<|user|>\nDescribe the main character of a story about a girl that lost her mother with the title The Lost Melody. Use only two sentences.<|end|>\n<|assistant|>");
  assert.ok(fake.prompts[2].includes("The main character is: Ella, a quiet girl, hums her mother's songs."));
  // Only some outputs; missing inputs named; wiring checked when built.
  const only = new SequentialChain({ chains: [title, character, story], inputVariables: ["summary"], outputVariables: ["story"] });
  const fake2 = fakeListLLM(["T", "C", "S"]);
  const rebuilt = new SequentialChain({
    chains: [new LLMChain({ llm: fake2, prompt: title.prompt, outputKey: "title" }), new LLMChain({ llm: fake2, prompt: character.prompt, outputKey: "character" })],
    outputVariables: ["character"],
  });
  assert.deepEqual(await rebuilt.invoke({ summary: "s" }), { summary: "s", character: "C" });
  await assert.rejects(() => only.invoke({ summry: "typo" }), /SequentialChain: missing input summary \(it needs: summary\)/);
  assert.throws(() => new SequentialChain({ chains: [character, story], inputVariables: ["summary"] }), /chain 0 \(outputs: character\) needs title, which is neither an input variable nor an earlier output/);
  assert.throws(() => new SequentialChain({ chains: [title, title] }), /output "title" of chain 1 is produced by an earlier chain too/);
  assert.throws(() => new SequentialChain({ chains: [title], outputVariables: ["plot"] }), /outputVariables plot are not produced/);
  await assert.rejects(() => character.invoke("only one value"), /a plain string input needs exactly one input key, but this chain takes 2 \(summary, title\)/);
  await assert.rejects(() => character.invoke({ summary: "x" }), /LLMChain\(character\): missing input title/);
});

test("ConversationBufferMemory in an LLMChain: the book's chat_history template", async () => {
  const memory = new ConversationBufferMemory({ memoryKey: "chat_history" });
  const fake = fakeListLLM([" Hello Maarten! The answer to 1 + 1 is 2.", "Your name is Maarten."]);
  const chain = new LLMChain({
    llm: fake,
    prompt: "<|user|>Current conversation:{chat_history}\n\n{input_prompt}<|end|>\n<|assistant|>",
    memory,
  });
  assert.deepEqual(chain.inputKeys, ["input_prompt"]);
  const first = await chain.invoke({ input_prompt: "Hi! My name is Maarten. What is 1 + 1?" });
  assert.deepEqual(first, { input_prompt: "Hi! My name is Maarten. What is 1 + 1?", chat_history: "", text: "Hello Maarten! The answer to 1 + 1 is 2." });
  await chain.invoke("What is my name?");
  assert.equal(
    fake.prompts[1],
    "<|user|>Current conversation:Human: Hi! My name is Maarten. What is 1 + 1?\nAI: Hello Maarten! The answer to 1 + 1 is 2.\n\nWhat is my name?<|end|>\n<|assistant|>",
  );
  assert.equal(memory.messages.length, 4);
  assert.throws(() => new LLMChain({ llm: fake, prompt: "{input}", memory }), /the memory fills \{chat_history\} but the prompt has no such variable/);
});

test("ConversationBufferWindowMemory keeps only the last k exchanges", async () => {
  const memory = new ConversationBufferWindowMemory({ k: 2 });
  const replies = ["one", "two", "three", "four"];
  const fake = fakeListLLM(replies.map((r) => ` Reply ${r}\nHuman: invented turn`));
  const chat = new ConversationChain({ llm: fake, memory });
  for (const r of replies) await chat.predict(`Say ${r}`);
  // The reply is cut before the model writes the human's next turn.
  assert.equal(memory.messages[1].content, "Reply one");
  assert.equal(memory.messages.length, 8, "the window narrows what the prompt sees, not what is stored");
  assert.equal(memory.buffer, "Human: Say three\nAI: Reply three\nHuman: Say four\nAI: Reply four");
  // The fourth prompt saw exchanges two and three only.
  assert.equal(fake.prompts[3], CONVERSATION_PROMPT.format({ history: "Human: Say two\nAI: Reply two\nHuman: Say three\nAI: Reply three", input: "Say four" }));
  assert.equal(fake.prompts[0], CONVERSATION_PROMPT.format({ history: "", input: "Say one" }));
  assert.equal(new ConversationBufferWindowMemory({ k: 0 }).buffer, "");
  assert.throws(() => new ConversationBufferWindowMemory({ k: -1 }), /k must be a non-negative integer/);
  const full = new ConversationBufferMemory();
  for (const r of replies) full.addExchange(`Say ${r}`, r);
  assert.equal(full.buffer.split("\n").length, 8);
  assert.equal(getBufferString([{ role: "system", content: "s" }, { role: "user", content: "u" }], "Me", "Bot"), "System: s\nMe: u");
});

test("ConversationSummaryMemory asks the LLM for a new summary after every exchange", async () => {
  const summarizer = fakeListLLM(["  The human, Maarten, asks what 1 + 1 is; the AI says 2. ", "Maarten asked 1 + 1 (2) and then his name."]);
  const memory = new ConversationSummaryMemory({ llm: summarizer, memoryKey: "chat_history" });
  const chatLLM = fakeListLLM(["It is 2.", "Your name is Maarten."]);
  const chain = new ConversationChain({
    llm: chatLLM,
    memory,
    prompt: "<|user|>Current conversation:{chat_history}\n\n{input_prompt}<|end|>\n<|assistant|>",
  });
  await chain.predict("Hi! My name is Maarten. What is 1 + 1?");
  assert.equal(memory.buffer, "The human, Maarten, asks what 1 + 1 is; the AI says 2.");
  assert.equal(summarizer.prompts[0], SUMMARY_PROMPT.format({ summary: "", new_lines: "Human: Hi! My name is Maarten. What is 1 + 1?\nAI: It is 2." }));
  await chain.predict("What is my name?");
  assert.equal(summarizer.calls.length, 2, "one summary call per exchange");
  assert.ok(summarizer.prompts[1].includes("Current summary:\nThe human, Maarten, asks what 1 + 1 is; the AI says 2.\n\nNew lines of conversation:\nHuman: What is my name?\nAI: Your name is Maarten.\n\nNew summary:"));
  // The chat model saw the summary, not the transcript.
  assert.equal(chatLLM.prompts[1], "<|user|>Current conversation:The human, Maarten, asks what 1 + 1 is; the AI says 2.\n\nWhat is my name?<|end|>\n<|assistant|>");
  assert.equal(memory.buffer, "Maarten asked 1 + 1 (2) and then his name.");
  memory.clear();
  assert.equal(memory.buffer, "");
  // The book's own summary prompt; a prompt without the needed variables is refused.
  const book = new ConversationSummaryMemory({
    llm: fakeListLLM(["s"]),
    prompt: "<|user|>Summarize the conversations and update with the new lines.\n\nCurrent summary:\n{summary}\n\nnew lines of conversation:\n{new_lines}\n\nNew summary:<|end|>\n<|assistant|>",
  });
  await book.saveContext({ input: "a" }, { response: "b" });
  assert.equal(book.buffer, "s");
  assert.throws(() => new ConversationSummaryMemory({ llm: summarizer, prompt: "Summarize {summary}" }), /lacks \{new_lines\}/);
  await assert.rejects(() => book.saveContext({ a: "1", b: "2" }, { response: "x" }), /expected one input key, got \["a","b"\]; pass inputKey/);
});
