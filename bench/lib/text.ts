/** Deterministic filler text: pseudo-words, so full-text indexing does realistic work on seeded and appended messages. */

/** A small seeded PRNG (mulberry32): the same sequence on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYLLABLES = ['ka', 'lo', 'mi', 'ten', 'ra', 'vo', 'dus', 'pe', 'sin', 'ga', 'tor', 'lex', 'qua', 'ni', 'ber', 'fo', 'zu', 'hal'];

function vocabulary(random: () => number, size: number): string[] {
  const words = new Set<string>();
  while (words.size < size) {
    const parts = 1 + Math.floor(random() * 3);
    let word = '';
    for (let i = 0; i < parts; i++) word += SYLLABLES[Math.floor(random() * SYLLABLES.length)];
    words.add(word);
  }
  return [...words];
}

/** `count` distinct texts of exactly `length` characters, made of words from a 400-word vocabulary. */
export function fillerTexts(count: number, length: number, seed = 42): string[] {
  const random = prng(seed);
  const words = vocabulary(random, 400);
  const texts: string[] = [];
  for (let i = 0; i < count; i++) {
    let text = `message ${i}:`;
    while (text.length < length) text += ` ${words[Math.floor(random() * words.length)]}`;
    texts.push(text.slice(0, length));
  }
  return texts;
}
