// `npm run build` (also the first step of `npm start`, the migration commands and admin:create).
//
// dist/ may belong to a running instance, so it is never rebuilt in place: when the sources are unchanged
// since the last build (same hash of every input) nothing happens, otherwise tsc compiles into a fresh
// directory that then replaces dist/ by rename. A running instance keeps the modules it loaded.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const OUT = 'dist';
const STAMP = '.build-inputs';
const INPUTS = ['src', 'ormconfig.ts', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json', 'scripts/build.mjs'];

function files(entry) {
  if (!statSync(entry).isDirectory()) return [entry];
  return readdirSync(entry)
    .sort()
    .flatMap((name) => files(path.join(entry, name)));
}

function inputsHash() {
  const hash = createHash('sha256');
  for (const file of INPUTS.filter((input) => existsSync(input)).flatMap(files)) hash.update(`${file}\0`).update(readFileSync(file));
  return hash.digest('hex');
}

const hash = inputsHash();
const stampFile = path.join(OUT, STAMP);
if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === hash) process.exit(0);

const fresh = `${OUT}.next-${randomBytes(4).toString('hex')}`;
try {
  const tsc = path.join('node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', fresh, '--incremental', 'false'], { stdio: 'inherit' });
  writeFileSync(path.join(fresh, STAMP), hash);
  const old = `${OUT}.old-${randomBytes(4).toString('hex')}`;
  if (existsSync(OUT)) renameSync(OUT, old);
  renameSync(fresh, OUT);
  rmSync(old, { recursive: true, force: true });
} catch (error) {
  rmSync(fresh, { recursive: true, force: true });
  process.exitCode = 1;
  if (error.status === undefined) console.error(`build failed: ${error.message}`);
}
