/** The vocabulary both trained tokenizers (BPE, WordPiece) share: tokens by id and ids by token. */
export abstract class Vocabulary {
  readonly vocab: readonly string[];
  protected readonly ids = new Map<string, number>();

  /** `where` names the tokenizer in errors (a token listed twice). */
  protected constructor(vocab: readonly string[], where: string) {
    this.vocab = vocab.slice();
    this.vocab.forEach((t, i) => {
      if (this.ids.has(t)) throw new Error(`${where}: token ${JSON.stringify(t)} appears twice in the vocabulary (ids ${this.ids.get(t)} and ${i})`);
      this.ids.set(t, i);
    });
  }

  get vocabSize(): number {
    return this.vocab.length;
  }

  tokenToId(token: string): number | undefined {
    return this.ids.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.vocab[id];
  }
}
