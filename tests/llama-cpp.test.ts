import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { initEngine } from "../lib/engine";
import { LlamaForCausalLM } from "../lib/models/llama";
import { AutoTokenizer } from "../lib/tokenizers/hf";
import { saveGguf } from "../lib/export/gguf";
import { generate } from "../lib/generation/generate";
import { callLLM } from "../lib/prompting/templates";
import { hasNodeLlamaCpp, llmFromGguf, loadNodeLlamaCpp } from "../lib/chains/llama-cpp";

// node-llama-cpp is optional: found in the project, or where HOLLM_NODE_LLAMA_CPP points.
const MODEL_DIR = path.join(__dirname, "..", "data", "models", "llama-mini-instruct");

test("without node-llama-cpp: the error names the package and the install command", async () => {
  await assert.rejects(loadNodeLlamaCpp(fs.mkdtempSync(path.join(os.tmpdir(), "no-nlc-"))), /node-llama-cpp is not installed.*npm install.*node-llama-cpp/);
});

test("llama-mini-instruct as GGUF in llama.cpp: same greedy tokens as the lib's generate (f32, q8_0)", async (t) => {
  if (!(await hasNodeLlamaCpp())) {
    t.skip("node-llama-cpp is not installed (optional; set HOLLM_NODE_LLAMA_CPP to a folder holding it)");
    return;
  }
  await initEngine();
  const model = LlamaForCausalLM.fromFolder(MODEL_DIR);
  const tok = await AutoTokenizer.fromPretrained(MODEL_DIR);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "nlc-test-"));
  try {
    const messages = [{ role: "user", content: "What is the capital of France?" }];
    const promptIds = tok.applyChatTemplate(messages, { addGenerationPrompt: true });
    const expected = generate(model, promptIds, { maxNewTokens: 24, eosTokenId: tok.eosTokenId! }).slice(promptIds.length);
    const expectedIds = expected[expected.length - 1] === tok.eosTokenId ? expected.slice(0, -1) : expected;
    for (const dtype of ["f32", "q8_0"] as const) {
      const file = saveGguf(model, tok, path.join(tmp, `m-${dtype}.gguf`), { dtype }).file;
      const llm = await llmFromGguf(file, { contextSize: 256, threads: 1 });
      try {
        // llama.cpp tokenises the rendered chat (its own template) exactly as the lib's tokenizer.
        const text = tok.applyChatTemplate(messages, { addGenerationPrompt: true, tokenize: false });
        assert.deepEqual(llm.tokenize(text), promptIds);
        const ids = await llm.generateIds(promptIds, { maxNewTokens: 24 });
        if (dtype === "f32") assert.deepEqual(ids, expectedIds);
        else assert.deepEqual(ids.slice(0, 3), expectedIds.slice(0, 3)); // q8_0 may drift later; the start agrees
        const reply = await callLLM(llm, messages, { maxNewTokens: 24 });
        assert.equal(reply, tok.decode(ids));
        const stopped = await callLLM(llm, messages, { maxNewTokens: 24, stop: [" of"] });
        assert.ok(!stopped.includes(" of") && reply.startsWith(stopped));
      } finally {
        await llm.dispose();
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
