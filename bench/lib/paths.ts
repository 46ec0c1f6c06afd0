import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The repository root (bench/lib/ is two levels below it). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const RESULTS_DIR = path.join(ROOT, 'bench', 'results');
export const BENCH_DATA_DIR = path.join(ROOT, '.data', 'bench');

/**
 * Imports a module of the compiled service (dist/), typed by its source. The path is computed so the
 * type checker never needs dist/ to exist (lint runs before build in CI).
 */
export async function importDist<T>(relativeToDist: string): Promise<T> {
  const file = path.join(ROOT, 'dist', relativeToDist);
  return (await import(pathToFileURL(file).href)) as T;
}
