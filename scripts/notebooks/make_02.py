# Authoring source of notebooks/02-tokens-and-embeddings.ipynb: edit here, run with /usr/bin/python3 from the repo root.
import os
import sys

from nbformat.v4 import new_markdown_cell as md, new_code_cell as code

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nbtools import write_notebook  # noqa: E402

cells = [
md("""# Chapter 2 — Tokens and Embeddings

Language models read tokens, not letters, and compute with embeddings: vectors that stand for tokens,
words, sentences. This chapter follows the book: how tokenizers cut text, how different tokenizers see the
same text, what token embeddings and contextual embeddings are, and word2vec embeddings used for
recommendations.

* **offline (the default)** — the tokenizers and models are ones this library trains itself, on Jane
  Austen's novels (`data/austen`), through the same APIs that load the book's hub models.
* **online** (`HOLLM_ONLINE=1`) — the book's tokenizers (BERT, GPT-2, Flan-T5, GPT-4, StarCoder2, Phi-3) and
  embedding models from the Hugging Face Hub."""),
code("""import {
  AutoTokenizer, GPT2LMHeadModel, NameRecommender, TOKENIZER_SAMPLE_TEXT, Word2Vec, barChart, cosineSimilarity, dataDir,
  hubPipeline, initEngine, loadText, meanPooling, modeBanner, pca2d, scatterChart, settings, show, showTokenizerComparison,
  showTokens, textToSentences, tf, trainBpe, trainWordPiece,
} from "hands-on-llm";
import type { TextTokenizerLike } from "hands-on-llm";
import * as os from "os";
import * as path from "path";

console.log(modeBanner());
const engine = await initEngine();"""),
md("""## How a tokenizer breaks down text

In the book, Phi-3's tokenizer turns the prompt into token ids, and each id decodes back to a piece of text.
Offline we use the small GPT the library trained on Austen (`npm run train -- gpt2-austen`, shipped in
`data/models/gpt2-austen`), loaded with the same `AutoTokenizer.fromPretrained` call that would fetch a hub
tokenizer."""),
code("""const modelDir = settings.online ? "microsoft/Phi-3-mini-4k-instruct" : path.join(dataDir(), "models", "gpt2-austen");
const tokenizer = await AutoTokenizer.fromPretrained(modelDir);

const prompt = "Write an email apologizing to Sarah for the tragic gardening mishap. Explain how it happened.";
const inputIds = tokenizer.encode(prompt);
console.log(inputIds);
for (const id of inputIds) console.log(id, JSON.stringify(tokenizer.decode([id])));"""),
code("""showTokens(tokenizer, prompt);"""),
md("""## Comparing tokenizers

The book runs one text — capital letters, emoji, Chinese, code, numbers, tabs — through tokenizers of several
generations of models. Offline we train tokenizers of the two main families on Austen ourselves, in a second
or two each: byte-level BPE (GPT-2, GPT-4, Phi-3 style) at two vocabulary sizes, and WordPiece (BERT style),
uncased and cased."""),
code("""const austen = loadText("austen");
const t0 = Date.now();
const wordpieceUncased = trainWordPiece(austen, { vocabSize: 8000 });
const tokenizers: Record<string, TextTokenizerLike> = settings.online
  ? Object.fromEntries(await Promise.all(
      ["bert-base-uncased", "bert-base-cased", "gpt2", "google/flan-t5-small", "Xenova/gpt-4", "bigcode/starcoder2-15b", "microsoft/Phi-3-mini-4k-instruct"]
        .map(async (id) => [id, await AutoTokenizer.fromPretrained(id)] as const)))
  : {
      "BPE, 1k vocab": trainBpe(austen, { vocabSize: 1000 }),
      "BPE, 8k vocab": trainBpe(austen, { vocabSize: 8000 }),
      "WordPiece uncased, 8k": wordpieceUncased,
      "WordPiece cased, 8k": trainWordPiece(austen, { vocabSize: 8000, lowercase: false, stripAccents: false }),
    };
console.log(`${Object.keys(tokenizers).length} tokenizers ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
console.log(TOKENIZER_SAMPLE_TEXT);"""),
code("""showTokenizerComparison(tokenizers, TOKENIZER_SAMPLE_TEXT);"""),
code("""const counts = Object.entries(tokenizers).map(([name, tok]) => ({ tokenizer: name, tokens: tok.encode(TOKENIZER_SAMPLE_TEXT).length }));
await show(barChart({ data: counts, x: "tokenizer", y: "tokens", title: "Tokens for the same text", horizontal: true }));"""),
md("""What to notice, as in the book: the uncased WordPiece loses capitalisation and accents and turns emoji
and Chinese into `[UNK]`; byte-level BPE never needs an unknown token (any byte is a token) but spends
several tokens on an emoji; a larger vocabulary means fewer, longer tokens; whitespace and code fare
badly in tokenizers trained on novels — which is why code models like StarCoder2 train on code.

## Token ids, padding and attention masks

A batch of texts becomes a rectangle of ids: shorter rows are padded, and the attention mask tells the
model which positions are real (the course notes' example)."""),
code("""// Saved like any Hugging Face tokenizer, and loaded back with the hub's API.
const wordpieceDir = path.join(os.tmpdir(), "hands-on-llm", "austen-wordpiece");
wordpieceUncased.save(wordpieceDir);
const wordpiece = await AutoTokenizer.fromPretrained(settings.online ? "bert-base-uncased" : wordpieceDir);
const batch = wordpiece.call(["I've been waiting for this blog my whole life.", "I hate this so much!"], { padding: true, truncation: true });
console.log("input_ids:", batch.inputIds);
console.log("attention_mask:", batch.attentionMask);"""),
md("""## Token embeddings and contextualized embeddings

A language model holds one vector per token of its vocabulary (the embedding matrix), and its Transformer
blocks turn each token's vector into a *contextualized* one that depends on the whole sentence. Offline:
the small Austen GPT (online: the book uses DeBERTa-v3)."""),
code("""const model = await GPT2LMHeadModel.fromPretrained(settings.online ? "gpt2" : modelDir);
const lm = settings.online ? await AutoTokenizer.fromPretrained("gpt2") : tokenizer;
console.log("token embedding matrix:", model.transformer.wte.weight.shape, "(vocabulary x width)");

const hidden = (text: string) => tf.tidy(() => model.transformer.forward(tf.tensor2d([lm.encode(text)], undefined, "int32")).lastHiddenState);
const h = hidden("Hello world");
console.log("contextualized embeddings of 'Hello world':", h.shape, "(batch, tokens, width)");"""),
code("""// The same word in two sentences gets two different vectors (close, not equal): its context is mixed in.
const word = " letter";
const wordId = lm.encode(word)[0];
const contextual = (text: string) => tf.tidy(() => {
  const ids = lm.encode(text);
  const at = ids.lastIndexOf(wordId);
  return tf.slice(hidden(text), [0, at, 0], [1, 1, -1]).reshape([1, -1]);
});
const a = contextual("She sat down to write a letter");
const b = contextual("He read the letter");
const staticVector = tf.tidy(() => tf.slice(model.transformer.wte.weight, [wordId, 0], [1, -1]));
console.log(`'${word.trim()}' is token ${wordId}; cosine of its two contextual vectors: ${cosineSimilarity(a, b).dataSync()[0].toFixed(3)}`);
console.log(`the static embedding is the same in both sentences; its own norm: ${tf.norm(staticVector).dataSync()[0].toFixed(3)}`);"""),
md("""## Text embeddings

One vector for a whole sentence: average the contextualized token vectors (mean pooling), the recipe of
sentence-transformers. Online: `sentence-transformers/all-mpnet-base-v2`, as in the book."""),
code("""if (settings.online) {
  const extractor = await hubPipeline("feature-extraction", "sentence-transformers/all-mpnet-base-v2");
  const vector: any = await extractor("Best movie ever!", { pooling: "mean", normalize: true });
  console.log("sentence embedding:", vector.dims);
} else {
  const ids = lm.encode("Best movie ever!");
  const sentence = tf.tidy(() => meanPooling(hidden("Best movie ever!"), tf.ones([1, ids.length])));
  console.log("sentence embedding (mean of token vectors):", sentence.shape);
}"""),
md("""## Word embeddings beyond LLMs: word2vec

Before Transformers, word2vec learned one vector per word by predicting a word's neighbours (skip-gram with
negative sampling). We train it on the six Austen novels: words used in similar contexts end up close."""),
code("""const sentences = textToSentences(austen, { unit: "sentence" });
const w2v = await Word2Vec.train(sentences, { vectorSize: 64, window: 5, minCount: 5, epochs: 3, seed: 1 });
console.log(`${sentences.length.toLocaleString()} sentences, vocabulary ${w2v.vocab.length.toLocaleString()} words`);
for (const query of ["darcy", "sister", "happy", "house"]) {
  console.log(query.padEnd(8), w2v.mostSimilar(query, 8).map((s) => `${s.word} (${s.score.toFixed(2)})`).join(", "));
}"""),
code("""const words = ["elizabeth", "jane", "darcy", "bingley", "emma", "knightley", "anne", "wentworth", "marianne", "elinor",
  "happy", "glad", "sorry", "unhappy", "house", "room", "park", "garden", "mother", "father", "sister", "brother"];
await show(scatterChart({
  data: pca2d(words.map((w) => w2v.vector(w)), words), x: "x", y: "y", label: "label",
  title: "word2vec on Austen, projected to 2-D (PCA)",
}));"""),
md("""## Embeddings for recommendation systems

The book trains word2vec on radio playlists — each playlist a "sentence", each song a "word" — and
recommends songs that share playlists. The same idea on data we have: each chapter of a novel is a
"playlist" of the characters who appear in it, and characters who share chapters end up close."""),
code("""const recommender = await NameRecommender.train("austen");
console.log(`${recommender.playlists.length} chapter playlists, ${recommender.items.length} characters`);
for (const who of ["Elizabeth", "Emma", "Anne"]) {
  const recs = recommender.recommend(who, 5);
  console.log(`${who} ->`, recs.map((r) => `${r.name} (${r.novelTitle}, ${r.score.toFixed(2)})`).join("; "));
}"""),
md("""The recommendations stay inside each novel — characters of *Emma* never share a chapter with those of
*Persuasion* — just as songs of one genre cluster together in the book's playlists."""),
]

write_notebook(cells, "notebooks/02-tokens-and-embeddings.ipynb")
