/** A conversation as read from the body, before validation: line-shaped objects, as the export writes them. */
export interface RawConversation {
  /** 0-based position among the body's conversations. */
  index: number;
  /** The id the body gives it (session id, or ChatGPT conversation id), for the report. */
  id: string | null;
  /** NDJSON: the line of its session line. */
  line: number | null;
  session: Record<string, unknown>;
  messages: unknown[];
  /** ChatGPT messages left out on purpose (hidden, empty, nothing but non-text parts). */
  omitted: number;
}

/** What the readers of both formats hand the import, one at a time. */
export type ImportItem =
  | { kind: 'conversation'; conversation: RawConversation }
  | { kind: 'failed'; index: number | null; id: string | null; line: number | null; reason: string }
  | { kind: 'usage'; line: number; value: Record<string, unknown> };

export const idForReport = (value: unknown): string | null => (typeof value === 'string' ? value.slice(0, 100) : null);
