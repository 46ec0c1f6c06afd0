import { v5 as uuidV5 } from 'uuid';
import { ConversationRefused } from './import.errors.js';

/** Fixed forever: ids of imported ChatGPT conversations and messages derive from it, so a second import finds them. */
export const CHATGPT_NAMESPACE = '6f1d3a8e-2c4b-4e7a-9b1f-5d8c0e3a7b42';
/** Seconds since 1970 up to 9999-12-31, what a timestamptz here can hold. */
const MAX_EPOCH_SECONDS = 253_402_300_799;

interface Node {
  id?: unknown;
  parent?: unknown;
  message?: Record<string, unknown> | null;
}

/** A ChatGPT conversation as session and message lines of this service's export format (validated after, like those). */
export interface ConvertedConversation {
  id: string;
  session: Record<string, unknown>;
  messages: Record<string, unknown>[];
  omitted: number;
}

/**
 * Flattens one conversation of a ChatGPT `conversations.json` along its current branch: from
 * `current_node` up through the parents to the root, so regenerated answers and edited prompts that were
 * abandoned are left out. Messages left out on purpose (counted in `omitted`): the root's empty node, those
 * ChatGPT hides (`metadata.is_visually_hidden_from_conversation`, such as its empty system message and the
 * custom instructions), and those without text. Text is the string parts of `text` and `multimodal_text`
 * content, or the `text` of other content types (code, execution output, quotes); images, audio and other
 * non-text parts are named in the message's metadata (`omitted_parts`). Tool messages stay role `tool`, with
 * the tool's name in `metadata.author_name`.
 */
export function fromChatGpt(value: unknown): ConvertedConversation {
  const conversation = object(value, 'the conversation');
  const id = conversation.conversation_id ?? conversation.id;
  if (typeof id !== 'string' || id.length === 0 || id.length > 200) throw new ConversationRefused('has no conversation id');
  const sessionId = uuidV5(id, CHATGPT_NAMESPACE);
  const createdAt = timestamp(conversation.create_time, 'create_time') ?? refuse('has no create_time');
  let last = createdAt;
  const messages: Record<string, unknown>[] = [];
  const branch = currentBranch(conversation);
  for (const node of branch) {
    const ids = { conversation: id, node: node.id as string, session: sessionId };
    const converted = node.message ? convertMessage(node.message, ids, messages.length + 1, last) : null;
    if (!converted) continue;
    messages.push(converted);
    last = converted.created_at as string;
  }
  const session = sessionOf(conversation, { id, sessionId, createdAt, last, lastContent: messages.at(-1)?.content as string | undefined });
  return { id, session, messages, omitted: branch.filter((node) => node.message !== null).length - messages.length };
}

interface SessionFacts {
  id: string;
  sessionId: string;
  createdAt: string;
  last: string;
  lastContent: string | undefined;
}

function sessionOf(conversation: Record<string, unknown>, { id, sessionId, createdAt, last, lastContent }: SessionFacts) {
  const title = conversation.title;
  if (title !== null && title !== undefined && typeof title !== 'string') throw new ConversationRefused('title must be a string');
  return {
    id: sessionId,
    title: title?.trim() || null,
    agent_type: 'primary',
    project_id: null,
    metadata: { imported_from: 'chatgpt', chatgpt_conversation_id: id },
    created_at: createdAt,
    updated_at: timestamp(conversation.update_time, 'update_time') ?? createdAt,
    last_message_at: last > createdAt ? last : createdAt,
    last_message_preview: lastContent === undefined ? null : Array.from(lastContent).slice(0, 200).join(''),
  };
}

/** The nodes from the root down to current_node. Bounded by the mapping: a node seen twice is a cycle. */
function currentBranch(conversation: Record<string, unknown>): Node[] {
  const mapping = object(conversation.mapping, 'mapping');
  const branch: Node[] = [];
  const seen = new Set<string>();
  for (let at: unknown = conversation.current_node; at !== null && at !== undefined;) {
    if (typeof at !== 'string' || !Object.hasOwn(mapping, at))
      throw new ConversationRefused(`current_node or a parent names no node of mapping`);
    if (seen.has(at)) throw new ConversationRefused('the parents in mapping form a cycle');
    seen.add(at);
    const node = object(mapping[at], `mapping.${at.slice(0, 100)}`) as Node;
    if (node.message !== null && node.message !== undefined) object(node.message, `the message of node ${at.slice(0, 100)}`);
    branch.push({ ...node, id: at, message: node.message ?? null });
    at = node.parent;
  }
  if (branch.length === 0) throw new ConversationRefused('has no current_node');
  return branch.reverse();
}

interface Ids {
  conversation: string;
  node: string;
  session: string;
}

function convertMessage(message: Record<string, unknown>, ids: Ids, seq: number, previous: string) {
  const metadata = (message.metadata ?? {}) as Record<string, unknown>;
  if (metadata.is_visually_hidden_from_conversation === true) return null;
  const author = object(message.author, 'author');
  const { text, contentType, omittedParts } = textOf(object(message.content, 'content'));
  if (text.trim() === '') return null;
  const createdAt = timestamp(message.create_time, 'create_time') ?? previous;
  return {
    // Conversation and node id: unique in the account, and the same on every import.
    id: uuidV5(`${ids.conversation}/${ids.node}`, CHATGPT_NAMESPACE),
    session_id: ids.session,
    seq,
    role: author.role,
    content: text,
    agent_type: 'primary',
    model: metadata.model_slug ?? null,
    metadata: {
      chatgpt_node_id: ids.node,
      ...(contentType !== 'text' && { content_type: contentType }),
      ...(typeof author.name === 'string' && { author_name: author.name }),
      ...(omittedParts.length > 0 && { omitted_parts: omittedParts }),
    },
    prompt_tokens: null,
    completion_tokens: null,
    created_at: createdAt,
    updated_at: timestamp(message.update_time, 'update_time') ?? createdAt,
  };
}

function textOf(content: Record<string, unknown>): { text: string; contentType: string; omittedParts: string[] } {
  const contentType = typeof content.content_type === 'string' ? content.content_type : 'unknown';
  if (!Array.isArray(content.parts)) return { text: typeof content.text === 'string' ? content.text : '', contentType, omittedParts: [] };
  const strings = content.parts.filter((part): part is string => typeof part === 'string');
  const omittedParts = content.parts
    .filter((part) => typeof part !== 'string')
    .map((part) => String((part as { content_type?: unknown } | null)?.content_type ?? typeof part).slice(0, 100));
  return { text: strings.join('\n'), contentType, omittedParts };
}

/** Epoch seconds (fractions kept to the millisecond) as ISO 8601; null when absent. */
function timestamp(value: unknown, field: string): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'number' || !(value >= 0 && value <= MAX_EPOCH_SECONDS))
    throw new ConversationRefused(`${field} must be epoch seconds`);
  return new Date(Math.round(value * 1000)).toISOString();
}

function object(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConversationRefused(`${what} must be a JSON object`);
  return value as Record<string, unknown>;
}

function refuse(reason: string): never {
  throw new ConversationRefused(reason);
}
