import { claimAt, externalProfile } from './oidc-claims.js';

const rules = { nameClaim: 'name', rolesClaim: 'realm_access.roles', adminRole: 'admin' };
const base = { iss: 'https://idp.example/realms/acme', sub: 'f3a1c2' };

describe('externalProfile', () => {
  it('reads the subject, a lowercased email, the name and the admin role', () => {
    const profile = externalProfile({ ...base, email: ' Ada@Example.COM ', name: 'Ada', realm_access: { roles: ['x', 'admin'] } }, rules);
    expect(profile).toEqual({ issuer: base.iss, subject: 'f3a1c2', email: 'ada@example.com', displayName: 'Ada', role: 'admin' });
  });

  it('makes a user of a token whose roles lack the admin role, and leaves the role alone without a roles claim rule', () => {
    expect(externalProfile({ ...base, realm_access: { roles: ['administrator'] } }, rules)?.role).toBe('user');
    expect(externalProfile({ ...base, realm_access: { roles: 'admin' } }, rules)?.role).toBe('admin');
    expect(externalProfile({ ...base, realm_access: { roles: 'admin' } }, { ...rules, rolesClaim: undefined })?.role).toBeUndefined();
  });

  it('accepts a token without a usable email or name, leaving them empty', () => {
    for (const email of [undefined, '', 'not-an-email', 42, `${'a'.repeat(250)}@example.com`, 'a\0b@example.com']) {
      expect(externalProfile({ ...base, email, name: '  ' }, rules)).toMatchObject({ email: null, displayName: null });
    }
  });

  it('drops NUL characters, which PostgreSQL cannot store, from the name', () => {
    expect(externalProfile({ ...base, name: 'A\0da' }, rules)?.displayName).toBe('Ada');
  });

  it('cuts a long name to the column width', () => {
    expect(externalProfile({ ...base, name: 'n'.repeat(300) }, rules)?.displayName).toHaveLength(100);
  });

  it('refuses a token that names no subject', () => {
    for (const sub of [undefined, '', 7, 's'.repeat(256), 'a\0b']) expect(externalProfile({ ...base, sub } as never, rules)).toBeNull();
  });
});

describe('claimAt', () => {
  it('follows a dotted path through own properties only', () => {
    expect(claimAt({ user_metadata: { full_name: 'Ada' } }, 'user_metadata.full_name')).toBe('Ada');
    expect(claimAt({ a: 'text' }, 'a.length')).toBeUndefined();
    expect(claimAt({}, 'constructor.name')).toBeUndefined();
  });
});
