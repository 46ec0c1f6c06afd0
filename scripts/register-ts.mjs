// Lets plain `node` import this project's TypeScript sources (used by jest's global setup, which runs
// outside jest's module system, and by the bench harness): `node --import ./scripts/register-ts.mjs …`.
import { register } from 'node:module';

register('./ts-hooks.mjs', import.meta.url);
