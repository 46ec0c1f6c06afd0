import { getManyValues, isMany, none } from 'stream-chain/defs.js';
import Assembler from 'stream-json/core/assembler.js';
import { jsonParser, type Token } from 'stream-json/core/parser.js';
import { importNotReadable } from './import.errors.js';

/** One element of the top-level array: the value, or null when it was larger than the limit (and not kept). */
export interface ArrayElement {
  index: number;
  value: unknown;
  tooLarge: boolean;
}

/** ChatGPT nests about a dozen levels; this is far beyond that and still bounds the parser's stack. */
const MAX_DEPTH = 64;

/**
 * The elements of a JSON array as they stream in, one at a time, so memory is bounded by the largest
 * element and not the body: stream-json tokenizes, its Assembler builds one element, and an element past
 * `maxBytes` (measured on its parsed text: keys, strings and numbers plus a byte per token) is dropped
 * while the rest of it streams past. Not a JSON array, or not JSON: 400 for the whole body.
 */
export async function* arrayElements(chunks: AsyncIterable<Buffer>, maxBytes: number): AsyncGenerator<ArrayElement> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const tokenize = jsonParser({ streamValues: false, maxDepth: MAX_DEPTH, maxPackedLength: maxBytes });
  const elements = new ElementCollector(maxBytes);
  let offset = 0;
  // Everything that can find the text at fault: the UTF-8 decoder, the tokenizer, the array's shape.
  const read = (text: () => string | typeof none): ArrayElement[] => {
    try {
      // `none` flushes the tokenizer (stream-chain's flushable protocol), which its type does not say.
      return elements.collect(tokenize(text() as string));
    } catch (error) {
      throw importNotReadable(`The body is not a JSON array of conversations (near byte ${offset}): ${(error as Error).message}`);
    }
  };
  for await (const chunk of chunks) {
    yield* read(() => decoder.decode(chunk, { stream: true }));
    offset += chunk.length;
  }
  yield* read(() => decoder.decode());
  yield* read(() => none);
  if (!elements.ended) throw importNotReadable('The body ends before its JSON array does.');
}

class ElementCollector {
  /** 0 before the array, 1 inside it, deeper inside an element. */
  private depth = 0;
  private index = 0;
  private assembler: Assembler | null = null;
  private bytes = 0;
  ended = false;

  constructor(private readonly maxBytes: number) {}

  collect(tokens: unknown): ArrayElement[] {
    if (!isMany(tokens)) return [];
    const done: ArrayElement[] = [];
    for (const token of getManyValues(tokens) as Token[]) {
      const element = this.consume(token);
      if (element) done.push(element);
    }
    return done;
  }

  private consume(token: Token): ArrayElement | null {
    const opens = token.name === 'startObject' || token.name === 'startArray';
    const closes = token.name === 'endObject' || token.name === 'endArray';
    if (this.depth === 0) {
      if (token.name !== 'startArray' || this.ended) throw new SyntaxError('the body must be one JSON array');
      this.depth = 1;
      return null;
    }
    if (this.depth === 1 && closes) {
      this.depth = 0;
      this.ended = true;
      return null;
    }
    if (this.depth === 1) {
      this.assembler = new Assembler();
      this.bytes = 0;
    }
    this.feed(token);
    this.depth += opens ? 1 : closes ? -1 : 0;
    if (this.depth > 1) return null;
    const element = { index: this.index++, value: this.assembler?.current ?? null, tooLarge: this.assembler === null };
    this.assembler = null;
    return element;
  }

  private feed(token: Token): void {
    this.bytes += 1 + ('value' in token && typeof token.value === 'string' ? token.value.length : 0);
    if (this.bytes > this.maxBytes) this.assembler = null;
    this.assembler?.consume(token);
  }
}
