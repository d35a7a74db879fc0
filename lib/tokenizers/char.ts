/**
 * A character-level tokenizer: one id per distinct character of the training text, as in
 * nanoGPT's Shakespeare example. The smallest tokenizer that lets a GPT learn from scratch in a minute.
 */
export class CharTokenizer {
  readonly vocab: string[];
  private readonly ids: Map<string, number>;

  constructor(vocab: string[]) {
    if (new Set(vocab).size !== vocab.length) throw new Error("CharTokenizer: vocabulary has duplicate characters");
    this.vocab = vocab;
    this.ids = new Map(vocab.map((ch, i) => [ch, i]));
  }

  /** Builds the vocabulary from the characters (Unicode code points) of `text`, sorted. */
  static fromText(text: string): CharTokenizer {
    return new CharTokenizer([...new Set(Array.from(text))].sort());
  }

  get vocabSize(): number {
    return this.vocab.length;
  }

  encode(text: string): number[] {
    return Array.from(text, (ch) => {
      const id = this.ids.get(ch);
      if (id === undefined) throw new Error(`CharTokenizer: character ${JSON.stringify(ch)} is not in the vocabulary`);
      return id;
    });
  }

  decode(ids: ArrayLike<number>): string {
    let out = "";
    for (let i = 0; i < ids.length; i++) {
      const ch = this.vocab[ids[i]];
      if (ch === undefined) throw new Error(`CharTokenizer: id ${ids[i]} is outside the vocabulary (size ${this.vocabSize})`);
      out += ch;
    }
    return out;
  }
}
