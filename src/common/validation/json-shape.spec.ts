import { jsonShapeProblem, type ShapeLimits } from './json-shape.js';

const limits: ShapeLimits = { maxDepth: 3, maxKeys: 3, maxArrayLength: 4, maxNodes: 12 };
const message = (text: string) => jsonShapeProblem(text, limits)?.message ?? null;

describe('jsonShapeProblem', () => {
  it('accepts shapes at the limits', () => {
    expect(message('{"a":1,"b":[1,2,3,4],"c":{"d":{}}}')).toBeNull();
    expect(message('[[[]]]')).toBeNull();
    expect(message('"text"')).toBeNull();
    expect(message('')).toBeNull();
  });

  it('counts keys per object and items per array, at any level', () => {
    expect(message('{"a":1,"b":2,"c":3,"d":4}')).toBe('must not hold an object of more than 3 fields');
    expect(message('{"a":[1,2,3,4,5]}')).toBe('must not hold an array of more than 4 items');
    expect(message('[{"a":1,"b":2,"c":3,"d":4}]')).toBe('must not hold an object of more than 3 fields');
  });

  it('bounds the depth and the values in all', () => {
    expect(message('[[[[]]]]')).toBe('must not nest deeper than 3 levels');
    expect(message('[[1,2,3,4],[1,2,3,4],[1,2,3,4]]')).toBe('must not hold more than 12 values in all');
    // The root, three arrays and eight numbers: twelve.
    expect(message('[[1,2,3],[1,2,3],[1,2]]')).toBeNull();
  });

  it('does not count what is inside strings, escaped quotes and backslashes included', () => {
    expect(message('{"a":"{[,,,,,,]}","b":"\\"[[[[,,,,\\\\","c":"\\\\"}')).toBeNull();
    expect(message('["\\\\\\"",",",","]')).toBeNull();
  });

  it('measures a 90,000-key object without building it, in linear time', () => {
    const text = `{${Array.from({ length: 90_000 }, (_, i) => `"k${i}":1`).join(',')}}`;
    const started = performance.now();
    expect(jsonShapeProblem(text, { maxDepth: 32, maxKeys: 1000, maxArrayLength: 1000, maxNodes: 5000 })?.message).toMatch(/1000 fields/);
    const wide = `[${'0,'.repeat(400_000)}0]`;
    expect(jsonShapeProblem(wide, { maxDepth: 32, maxKeys: 1000, maxArrayLength: 1_000_000, maxNodes: 1_000_000 })).toBeNull();
    expect(performance.now() - started).toBeLessThan(200);
  });
});
