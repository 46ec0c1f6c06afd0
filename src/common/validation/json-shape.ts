import type { FieldError } from '../problem/problem.js';

/** Bounds on the shape of a JSON body (BODY_MAX_* in the env schema). */
export interface ShapeLimits {
  maxDepth: number;
  maxKeys: number;
  maxArrayLength: number;
  maxNodes: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/**
 * Measures a JSON text's shape without building it: one pass over the characters, keeping only a counter per
 * open object or array. JSON.parse alone spends ~150 ms on an object with 90,000 keys, and class-transformer
 * then seconds, so the limits must hold before either runs. The text is not validated here; JSON.parse does
 * that next. Values are counted as members of objects plus items of arrays plus the root.
 */
export function jsonShapeProblem(text: string, limits: ShapeLimits): FieldError | null {
  const items: number[] = [];
  const inObject: boolean[] = [];
  let fresh = false;
  let nodes = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 0x20) continue;
    const top = items.length - 1;
    if (fresh && c !== CLOSE_OBJECT && c !== CLOSE_ARRAY) {
      items[top] = 1;
      if (++nodes > limits.maxNodes) return refusal(`must not hold more than ${limits.maxNodes} values in all`);
    }
    fresh = false;
    if (c === QUOTE) i = closingQuote(text, i);
    else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (items.length >= limits.maxDepth) return refusal(`must not nest deeper than ${limits.maxDepth} levels`);
      items.push(0);
      inObject.push(c === OPEN_OBJECT);
      fresh = true;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      items.pop();
      inObject.pop();
    } else if (c === COMMA && top >= 0) {
      const max = inObject[top] ? limits.maxKeys : limits.maxArrayLength;
      if (++items[top] > max)
        return refusal(
          inObject[top] ? `must not hold an object of more than ${max} fields` : `must not hold an array of more than ${max} items`,
        );
      if (++nodes > limits.maxNodes) return refusal(`must not hold more than ${limits.maxNodes} values in all`);
    }
  }
  return null;
}

/** Index of the quote that ends the string opening at `start` (or the end of the text if none does). */
function closingQuote(text: string, start: number): number {
  let at = text.indexOf('"', start + 1);
  while (at !== -1) {
    let backslashes = 0;
    while (text.charCodeAt(at - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return at;
    at = text.indexOf('"', at + 1);
  }
  return text.length;
}

function refusal(message: string): FieldError {
  return { field: '(body)', message };
}
