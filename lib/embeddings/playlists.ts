/**
 * The book's recommender, on data we ship. Chapter 2 trains word2vec on radio playlists: each playlist
 * is a "sentence", each song id a "word", so songs that keep turning up in the same playlists get close
 * vectors, and `most_similar(song)` recommends songs. Offline, a novel gives the same structure: each
 * chapter is a playlist of the names mentioned in it, in order ("Elizabeth, Mr Darcy, Jane, Elizabeth,
 * Mr Bingley, ..."), and the recommender answers "who goes with Elizabeth?" from co-occurrence alone,
 * the way the playlist model knows nothing about music but which songs are played together.
 *
 * Names are found without a tagger, from capitalisation: a word that is capitalised (almost) every time
 * it appears mid-sentence, often enough, and is not a title, pronoun, day or month. That admits places
 * too (Pemberley, Bath, Highbury): they are items of the playlists like the characters. A title and
 * the name after it make one item ("Mrs Bennet", "Lady Catherine"); a bare surname that is mostly used
 * with one title joins it ("Darcy" -> "Mr Darcy"); a first name seldom titled stays bare ("Elizabeth").
 */
import { corpusFiles, corpusInfo } from "../data";
import * as fs from "fs";
import * as path from "path";
import { Word2Vec, Word2VecOptions } from "./word2vec";
import { SimilarWord } from "./keyed-vectors";

/** One recommendable name ("song"), unique within its novel. */
export type NameItem = {
  /** Token used in playlists and by the model: "<novel slug>:<name with underscores>", e.g. "pride-and-prejudice:mr_darcy". */
  id: string;
  /** As printed: "Mr Darcy". */
  name: string;
  /** Novel slug ("emma") and title. */
  novel: string;
  novelTitle: string;
  /** Mentions in the novel. */
  mentions: number;
};

/** One chapter (or paragraph) as a playlist of item ids. */
export interface NamePlaylist {
  novel: string;
  /** 1-based chapter number within the novel. */
  chapter: number;
  items: string[];
}

export interface NamePlaylistOptions {
  /** One playlist per chapter (default) or per paragraph. */
  unit?: "chapter" | "paragraph";
  /** A name needs this many mentions in a novel to be an item (default 10). */
  minMentions?: number;
  /** Share of its mid-sentence uses a word must have capitalised to count as a name (default 0.95). */
  minCapitalised?: number;
}

export interface NamePlaylists {
  playlists: NamePlaylist[];
  items: NameItem[];
}

// Titles that make one item with the name after them. "Miss" is one too ("Miss Bingley").
const TITLES = new Set(["mr", "mrs", "miss", "sir", "lady", "lord", "colonel", "captain", "admiral", "dr", "general", "major", "lieutenant", "rev", "master", "mistress", "madame"]);
const TITLE_CASE: Record<string, string> = { mr: "Mr", mrs: "Mrs", dr: "Dr", rev: "Rev" };
// Capitalised words that are not names of anything a reader would recommend.
const NOT_NAMES = new Set(
  (
    "i o oh ah madam ma'am god heaven heavens " +
    "monday tuesday wednesday thursday friday saturday sunday " +
    "january february march april may june july august september october november december " +
    "english christmas michaelmas easter chapter volume ye thee thou"
  ).split(" "),
);

const CHAPTER_RE = /^[ \t]*(?:CHAPTER|Chapter)\s+(?:[0-9]+|[IVXLCDM]+)\b.*$/gm;
const WORD_RE = /\p{L}+(?:['’]\p{L}+)*/gu;

/** A novel's chapters (text before the first heading, the title page, dropped; none found: the whole text). */
export function splitChapters(text: string): string[] {
  const heads: Array<{ start: number; end: number }> = [];
  let m: RegExpExecArray | null;
  CHAPTER_RE.lastIndex = 0;
  while ((m = CHAPTER_RE.exec(text))) heads.push({ start: m.index, end: m.index + m[0].length });
  if (heads.length === 0) return [text];
  return heads.map((h, i) => text.slice(h.end, i + 1 < heads.length ? heads[i + 1].start : text.length));
}

interface Token {
  word: string; // as written
  lower: string;
  initial: boolean; // first word of a sentence or paragraph: capitalised whatever it is
  paragraph: number;
}

function tokens(text: string): Token[] {
  const out: Token[] = [];
  let last = 0;
  let paragraph = 0;
  let prevLower = "";
  let m: RegExpExecArray | null;
  WORD_RE.lastIndex = 0;
  while ((m = WORD_RE.exec(text))) {
    const gap = text.slice(last, m.index);
    const newParagraph = /\n[ \t]*\n/.test(gap);
    if (newParagraph) paragraph++;
    // "Mr. Darcy": a period after a title does not start a sentence.
    const sentenceEnd = /[.!?]/.test(gap) && !(TITLES.has(prevLower) && /^\.\s*$/.test(gap));
    // "Emma's" is a mention of Emma.
    const word = m[0].replace(/’/g, "'").replace(/'s$/i, "");
    const lower = word.toLowerCase();
    out.push({ word, lower, initial: out.length === 0 || newParagraph || sentenceEnd, paragraph });
    last = m.index + m[0].length;
    prevLower = lower;
  }
  return out;
}

function isCapitalised(w: string): boolean {
  return w[0] !== w[0].toLowerCase();
}

function titleCase(w: string): string {
  return TITLE_CASE[w] || w[0].toUpperCase() + w.slice(1);
}

/**
 * Playlists of names, one per chapter (or paragraph), for every novel of a corpus ("austen",
 * "austen/emma", "moby-dick"). Returns the playlists and the items (names) they use.
 */
export function namePlaylists(corpus = "austen", opts: NamePlaylistOptions = {}): NamePlaylists {
  const minMentions = opts.minMentions ?? 10;
  const minCap = opts.minCapitalised ?? 0.95;
  const unit = opts.unit ?? "chapter";
  if (unit !== "chapter" && unit !== "paragraph") throw new Error(`namePlaylists: unit must be "chapter" or "paragraph", got '${unit as string}'`);
  const slash = corpus.indexOf("/");
  const info = corpusInfo(slash < 0 ? corpus : corpus.slice(0, slash));
  const files = corpusFiles(corpus);
  const novels = files.map((file) => {
    const entry = info.files.find((f) => path.join(info.dir, f.file) === file);
    const slug = entry ? entry.slug : path.basename(file, ".txt");
    const chapters = splitChapters(fs.readFileSync(file, "utf8")).map(tokens);
    return { slug, title: entry ? entry.title : slug, chapters };
  });

  // Capitalisation over the whole corpus, mid-sentence only: a common word is lowercase there.
  const capital = new Map<string, number>();
  const lower = new Map<string, number>();
  for (const n of novels)
    for (const ch of n.chapters)
      for (const t of ch) {
        if (t.initial) continue;
        const m = isCapitalised(t.word) ? capital : lower;
        m.set(t.lower, (m.get(t.lower) || 0) + 1);
      }
  const isName = (w: string) => {
    // "I'll", "I'm" are I: judge a contraction by its first part.
    if (NOT_NAMES.has(w.split("'")[0]) || TITLES.has(w) || w.length < 2) return false;
    const c = capital.get(w) || 0;
    return c >= 3 && c / (c + (lower.get(w) || 0)) >= minCap;
  };

  const playlists: NamePlaylist[] = [];
  const items: NameItem[] = [];
  for (const novel of novels) {
    // Pass 1: raw mentions, "title name" or "name", with where they occur.
    type Mention = { title: string; name: string; chapter: number; paragraph: number };
    const mentions: Mention[] = [];
    novel.chapters.forEach((ch, ci) => {
      for (let i = 0; i < ch.length; i++) {
        const t = ch[i];
        let title = "";
        let j = i;
        if (TITLES.has(t.lower) && isCapitalised(t.word) && i + 1 < ch.length && isName(ch[i + 1].lower) && isCapitalised(ch[i + 1].word)) {
          title = t.lower;
          j = i + 1;
        } else if (!(isName(t.lower) && isCapitalised(t.word))) continue;
        mentions.push({ title, name: ch[j].lower, chapter: ci, paragraph: ch[j].paragraph });
        // "Sir William Lucas", "Elizabeth Bennet": the names that follow belong to the same mention.
        i = j;
        while (i + 1 < ch.length && isName(ch[i + 1].lower) && isCapitalised(ch[i + 1].word) && !ch[i + 1].initial) i++;
      }
    });
    // Pass 2: merge bare names and titled forms (see the file comment).
    const titled = new Map<string, Map<string, number>>();
    const bare = new Map<string, number>();
    for (const m of mentions) {
      if (m.title) {
        const t = titled.get(m.name) || new Map<string, number>();
        t.set(m.title, (t.get(m.title) || 0) + 1);
        titled.set(m.name, t);
      } else bare.set(m.name, (bare.get(m.name) || 0) + 1);
    }
    const display = (m: Mention): string => {
      const t = titled.get(m.name);
      const b = bare.get(m.name) || 0;
      const total = t ? Array.from(t.values()).reduce((a, x) => a + x, 0) : 0;
      if (b >= 2 * total) return titleCase(m.name); // "Elizabeth" (and "Miss Elizabeth" with it)
      if (m.title) return `${titleCase(m.title)} ${titleCase(m.name)}`;
      let best = "";
      let bestCount = 0;
      if (t) t.forEach((c, title) => (c > bestCount ? ((best = title), (bestCount = c)) : 0));
      return bestCount >= 0.6 * total ? `${titleCase(best)} ${titleCase(m.name)}` : titleCase(m.name);
    };
    const counts = new Map<string, number>();
    const named = mentions.map((m) => ({ ...m, display: display(m) }));
    for (const m of named) counts.set(m.display, (counts.get(m.display) || 0) + 1);
    const idOf = (name: string) => `${novel.slug}:${name.toLowerCase().replace(/\s+/g, "_")}`;
    counts.forEach((c, name) => {
      if (c >= minMentions) items.push({ id: idOf(name), name, novel: novel.slug, novelTitle: novel.title, mentions: c });
    });
    // Pass 3: the playlists; repeats in a row say nothing about co-occurrence and are collapsed.
    let current: NamePlaylist | null = null;
    let currentKey = "";
    for (const m of named) {
      if ((counts.get(m.display) || 0) < minMentions) continue;
      const key = unit === "chapter" ? `${m.chapter}` : `${m.chapter}/${m.paragraph}`;
      if (!current || key !== currentKey) {
        current = { novel: novel.slug, chapter: m.chapter + 1, items: [] };
        currentKey = key;
        playlists.push(current);
      }
      const id = idOf(m.display);
      if (current.items[current.items.length - 1] !== id) current.items.push(id);
    }
  }
  items.sort((a, b) => b.mentions - a.mentions);
  return { playlists: playlists.filter((p) => p.items.length > 1), items };
}

export interface NameRecommenderOptions extends NamePlaylistOptions {
  /**
   * Word2Vec settings. Defaults: vectorSize 32 as the book's playlist model, window 10, negative 5,
   * minCount 1, 50 epochs. The book's window 20 / negative 50 collapse on ~270 short playlists (all
   * similarities ~1.0, in gensim 4.2 as here), and a few thousand mentions need more passes than
   * the book's 5 over ~10,000 playlists.
   */
  word2vec?: Word2VecOptions;
}

export type Recommendation = NameItem & {
  /** Cosine similarity to the query. */
  score: number;
};

/**
 * "Who goes with Elizabeth?": word2vec trained on name playlists, queried like the book's song
 * recommender.
 *
 *   const rec = await NameRecommender.train("austen");
 *   rec.recommend("Elizabeth");   // Mr Darcy, Jane, Mr Bingley, ... with their novel
 */
export class NameRecommender {
  readonly model: Word2Vec;
  readonly playlists: NamePlaylist[];
  readonly items: NameItem[];
  private readonly byId: Map<string, NameItem>;

  constructor(model: Word2Vec, data: NamePlaylists) {
    this.model = model;
    this.playlists = data.playlists;
    this.items = data.items.filter((it) => model.has(it.id));
    this.byId = new Map(this.items.map((it) => [it.id, it]));
  }

  static async train(corpus = "austen", opts: NameRecommenderOptions = {}): Promise<NameRecommender> {
    const data = namePlaylists(corpus, opts);
    if (data.playlists.length === 0) throw new Error(`NameRecommender: no playlists with two or more names in '${corpus}'`);
    const model = await Word2Vec.train(
      data.playlists.map((p) => p.items),
      { vectorSize: 32, window: 10, negative: 5, minCount: 1, epochs: 50, ...(opts.word2vec || {}) },
    );
    return new NameRecommender(model, data);
  }

  /**
   * The item a query names: an id ("emma:mr_knightley"), or a name ("Mr Knightley", "knightley",
   * "Elizabeth"), optionally with the novel ("Elizabeth", "persuasion"). Several novels' items match
   * a bare name: the most mentioned wins (Elizabeth -> Pride and Prejudice).
   */
  item(query: string, novel?: string): NameItem {
    const direct = this.byId.get(query);
    if (direct) return direct;
    const q = query.trim().toLowerCase().replace(/\./g, "").replace(/[\s_]+/g, " ");
    const inNovel = (it: NameItem) => !novel || it.novel === novel || it.novelTitle.toLowerCase() === novel.toLowerCase();
    const candidates = this.items.filter(inNovel);
    const exact = candidates.filter((it) => it.name.toLowerCase() === q);
    const loose = exact.length ? exact : candidates.filter((it) => it.name.toLowerCase().split(" ").pop() === q);
    if (loose.length) return loose.reduce((a, b) => (b.mentions > a.mentions ? b : a));
    const where = novel ? ` in '${novel}'` : "";
    const some = candidates.slice(0, 8).map((it) => it.name).join(", ");
    throw new Error(`No name '${query}'${where} among the ${candidates.length} items (most mentioned: ${some})`);
  }

  /** The `topn` names closest to a name, like the book's `model.wv.most_similar(song_id)`. */
  recommend(query: string, topn = 10, novel?: string): Recommendation[] {
    const it = this.item(query, novel);
    return this.model.mostSimilar(it.id, topn).map((s: SimilarWord) => ({ ...(this.byId.get(s.word) as NameItem), score: s.score }));
  }
}
