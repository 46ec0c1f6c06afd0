import secureJson from 'secure-json-parse';
import { jsonShapeProblem, type ShapeLimits } from '../common/validation/json-shape.js';
import { idForReport, type ImportItem } from './import-items.js';
import { importNotReadable } from './import.errors.js';
import type { Line } from './ndjson-lines.js';

interface Open {
  index: number;
  line: number;
  session: Record<string, unknown>;
  messages: unknown[];
  bytes: number;
  failure: string | null;
}

/** As Fastify parses every other JSON body of this service. */
export const FORBIDDEN_KEYS = { protoAction: 'error', constructorAction: 'error' } as const;

type Parsed = { value: Record<string, unknown> } | { problem: string };

/**
 * Groups this service's export lines into conversations: a `session` line and the `message` lines after
 * it. A line that cannot be read or typed inside a conversation fails that conversation; outside one it is
 * reported alone. The first line must be the `user` line of version 1, or the whole body is refused.
 */
export async function* ndjsonItems(
  lines: AsyncIterable<Line>,
  maxConversationBytes: number,
  shape: ShapeLimits,
): AsyncGenerator<ImportItem> {
  const iterator = lines[Symbol.asyncIterator]();
  const first = await iterator.next();
  assertUserLine(first.done ? null : parse(first.value, shape));
  let open: Open | null = null;
  let index = 0;
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
    const line = next.value;
    const parsed = parse(line, shape);
    const type = 'value' in parsed ? parsed.value.type : undefined;
    if (type === 'session' && 'value' in parsed) {
      if (open) yield close(open);
      open = { index: index++, line: line.number, session: parsed.value, messages: [], bytes: line.bytes, failure: null };
    } else if (open && type !== 'usage') {
      addTo(open, line, parsed, maxConversationBytes);
    } else {
      if (open) yield close(open);
      open = null;
      if (type === 'usage' && 'value' in parsed) yield { kind: 'usage', line: line.number, value: parsed.value };
      else yield { kind: 'failed', index: null, id: null, line: line.number, reason: `line ${line.number}: ${strayProblem(parsed)}` };
    }
  }
  if (open) yield close(open);
}

function addTo(open: Open, line: Line, parsed: Parsed, maxBytes: number): void {
  open.bytes += line.bytes;
  if (open.failure) return;
  if ('problem' in parsed) open.failure = `line ${line.number}: ${parsed.problem}`;
  else if (parsed.value.type !== 'message') open.failure = `line ${line.number}: type must be "session", "message" or "usage"`;
  else if (open.bytes > maxBytes) open.failure = `is larger than IMPORT_MAX_CONVERSATION_BYTES (${maxBytes} bytes)`;
  else open.messages.push(parsed.value);
  // Nothing of a failed conversation is kept while the rest of it streams past.
  if (open.failure) open.messages = [];
}

function close(open: Open): ImportItem {
  const id = idForReport(open.session.id);
  if (open.failure) return { kind: 'failed', index: open.index, id, line: open.line, reason: open.failure };
  return {
    kind: 'conversation',
    conversation: { index: open.index, id, line: open.line, session: open.session, messages: open.messages, omitted: 0 },
  };
}

function strayProblem(parsed: Parsed): string {
  if ('problem' in parsed) return parsed.problem;
  return parsed.value.type === 'message' ? 'a message line must follow its session line' : 'type must be "session", "message" or "usage"';
}

function parse(line: Line, shape: ShapeLimits): Parsed {
  if ('problem' in line) return { problem: line.problem };
  const refused = jsonShapeProblem(line.text, shape);
  if (refused) return { problem: refused.message };
  let value: unknown;
  try {
    value = secureJson.parse(line.text, null, FORBIDDEN_KEYS);
  } catch (error) {
    return { problem: /forbidden/.test((error as Error).message) ? 'holds a __proto__ or constructor.prototype key' : 'is not JSON' };
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? { value: value as Record<string, unknown> }
    : { problem: 'is not a JSON object' };
}

function assertUserLine(first: Parsed | null): void {
  const expected = 'The first line must be {"type":"user","version":1,…}';
  if (!first) throw importNotReadable(`${expected}; the body is empty.`);
  if ('problem' in first) throw importNotReadable(`${expected}; line 1 ${first.problem}.`);
  if (first.value.type !== 'user' || first.value.version !== 1) throw importNotReadable(`${expected}.`);
}
