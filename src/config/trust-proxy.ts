import { Transform } from 'class-transformer';
import { ValidateBy } from 'class-validator';
import { isIP } from 'node:net';

/** What Fastify's `trustProxy` is given: trust nobody, the nearest N hops, or proxies at these addresses. */
export type TrustProxy = false | number | string[];

/** proxy-addr's names for address ranges, accepted next to addresses and CIDRs. */
const RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** `false`/`0` → false; `2` → 2 hops; `10.0.0.0/8, 192.0.2.7` → a list for proxy-addr. */
export const toTrustProxy = () =>
  Transform(({ value }) => {
    if (typeof value !== 'string') return value;
    const text = value.trim().toLowerCase();
    if (text === 'false' || text === '0') return false;
    if (/^\d+$/.test(text)) return Number(text);
    return text
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean);
  });

/**
 * `true` would take X-Forwarded-For from any client, who could then pick a new IP for every request and
 * never meet the per-IP rate limit: refused, with the two safe forms named.
 */
export const IsTrustProxy = () =>
  ValidateBy({
    name: 'isTrustProxy',
    validator: {
      validate: (value: unknown) =>
        value === false ||
        (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 100) ||
        (Array.isArray(value) && value.length > 0 && value.every(isProxyAddress)),
      defaultMessage: () =>
        'TRUST_PROXY must be false, the number of proxies in front of the service (e.g. 1), or their ' +
        'addresses/CIDRs (e.g. 10.0.0.0/8,192.0.2.7). `true` is refused: it would let any client choose its IP ' +
        'through X-Forwarded-For and bypass the per-IP rate limit.',
    },
  });

function isProxyAddress(entry: unknown): boolean {
  if (typeof entry !== 'string') return false;
  if (RANGE_NAMES.has(entry) || isIP(entry)) return true;
  const [address, bits, extra] = entry.split('/');
  const max = isIP(address) === 4 ? 32 : isIP(address) === 6 ? 128 : 0;
  return extra === undefined && max > 0 && /^\d{1,3}$/.test(bits ?? '') && Number(bits) <= max;
}

/** Fastify takes a hop count at run time but its types do not: the same rule proxy-addr applies to a number. */
export function fastifyTrustProxy(value: TrustProxy): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof value === 'number' ? (_address, hop) => hop < value : value;
}
