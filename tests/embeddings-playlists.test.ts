import { test } from "node:test";
import * as assert from "node:assert/strict";
import { initEngine, tf } from "hands-on-llm";
import { NameRecommender, namePlaylists, splitChapters } from "../lib/embeddings";

test("splitChapters drops the title page and splits at CHAPTER / Chapter headings", () => {
  const text = "TITLE\n\nBy Someone\n\nCHAPTER I\n\nOne.\n\nChapter 2\nTwo.\nCHAPTER 3. The Third.\nThree.";
  assert.deepEqual(splitChapters(text).map((c) => c.trim()), ["One.", "Two.", "Three."]);
  assert.deepEqual(splitChapters("no headings"), ["no headings"]);
});

test("namePlaylists finds Pride and Prejudice's characters from capitalisation alone", () => {
  const { playlists, items } = namePlaylists("austen/pride-and-prejudice");
  const names = items.map((it) => it.name);
  for (const want of ["Elizabeth", "Mr Darcy", "Jane", "Mrs Bennet", "Mr Bennet", "Lady Catherine", "Mr Collins", "Mr Wickham", "Longbourn"]) {
    assert.ok(names.includes(want), `${want} missing from ${names.slice(0, 30).join(", ")}`);
  }
  // Bare "Darcy" joined "Mr Darcy"; possessives joined their name; no title or pronoun is an item.
  for (const unwanted of ["Darcy", "Elizabeth's", "Mr", "Mrs", "Miss", "I", "Sir", "Lady"]) assert.ok(!names.includes(unwanted), unwanted);
  assert.ok(items.every((it) => it.novel === "pride-and-prejudice" && !/\s/.test(it.id) && it.mentions >= 10));
  assert.equal(items[0].name, "Elizabeth", "the most mentioned");
  // One playlist per chapter (61), items in reading order without immediate repeats.
  assert.ok(playlists.length >= 55 && playlists.length <= 61, `${playlists.length} playlists`);
  assert.ok(playlists.every((p) => p.items.every((id, i) => i === 0 || id !== p.items[i - 1])));
  const ids = new Set(items.map((it) => it.id));
  assert.ok(playlists.every((p) => p.items.every((id) => ids.has(id))));
  // Paragraph playlists are many more, shorter lists over the same items.
  const para = namePlaylists("austen/pride-and-prejudice", { unit: "paragraph" });
  assert.ok(para.playlists.length > 5 * playlists.length);
});

test("NameRecommender on Austen's chapters recommends who goes with whom", async () => {
  await initEngine({ verbose: false });
  const before = tf.memory().numTensors;
  // 25 epochs instead of the default 50 to keep the test short (~5 s); these checks held for seeds 1-3.
  const rec = await NameRecommender.train("austen", { word2vec: { epochs: 25, seed: 1, progress: false } });
  assert.equal(tf.memory().numTensors, before);
  const top = (q: string, n = 5) => rec.recommend(q, n).map((r) => r.name);
  const expectIn = (q: string, want: string[], n = 5) => {
    const got = top(q, n);
    assert.ok(want.some((w) => got.includes(w)), `${q}: ${got.join(", ")} has none of ${want.join(", ")}`);
  };
  expectIn("Mrs Bennet", ["Mr Bennet"]);
  expectIn("Anne", ["Captain Wentworth"]);
  expectIn("Emma", ["Mr Knightley"]);
  expectIn("Lady Catherine", ["Rosings", "Mr Collins", "Mrs Collins"]);
  // Chapters never mix novels, so neither do recommendations: like songs from one genre.
  const forElizabeth = rec.recommend("Elizabeth", 10);
  assert.ok(forElizabeth.every((r) => r.novel === "pride-and-prejudice"), forElizabeth.map((r) => `${r.name} (${r.novel})`).join(", "));
  assert.ok(forElizabeth[0].score <= 1 && forElizabeth[0].score >= forElizabeth[9].score);
  // Names resolve by id, by name, by surname, and by novel when several novels share a name.
  assert.equal(rec.item("Elizabeth").novel, "pride-and-prejudice"); // the most mentioned Elizabeth
  assert.equal(rec.item("Elizabeth", "persuasion").id, "persuasion:elizabeth");
  assert.equal(rec.item("knightley").name, "Mr Knightley");
  assert.equal(rec.item("emma:mr_knightley").name, "Mr Knightley");
  assert.throws(() => rec.item("Voldemort"), /No name 'Voldemort' among the \d+ items \(most mentioned: Fanny, Emma/);
});
