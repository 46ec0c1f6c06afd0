import { PasswordHasher } from './password-hasher.js';

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher();

  it('verifies the right password and rejects a wrong one', async () => {
    const encoded = await hasher.hash('correct horse battery');
    expect(encoded).toMatch(/^scrypt\$32768\$8\$3\$[\w-]{22}\$[\w-]{43}$/);
    await expect(hasher.verify('correct horse battery', encoded)).resolves.toBe(true);
    await expect(hasher.verify('correct horse batterY', encoded)).resolves.toBe(false);
  });

  it('salts every hash', async () => {
    const [a, b] = await Promise.all([hasher.hash('same password'), hasher.hash('same password')]);
    expect(a).not.toEqual(b);
  });

  it('treats canonically equivalent Unicode passwords alike', async () => {
    const encoded = await hasher.hash('caf\u00e9 au lait');
    await expect(hasher.verify('cafe\u0301 au lait', encoded)).resolves.toBe(true);
  });

  it('rejects malformed stored hashes instead of throwing', async () => {
    await expect(hasher.verify('x', 'bcrypt$whatever')).resolves.toBe(false);
    await expect(hasher.verify('x', '')).resolves.toBe(false);
  });

  it('answers false for an unknown account', async () => {
    await expect(hasher.verifyNothing('anything')).resolves.toBe(false);
  });
});
