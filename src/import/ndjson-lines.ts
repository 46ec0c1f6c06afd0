/** One line of an NDJSON body: its text, or why it could not be read (it is not held either way). */
export type Line = { number: number; bytes: number } & ({ text: string } | { problem: string });

const NEWLINE = 0x0a;

/**
 * Splits a byte stream into lines of at most `maxBytes` each. Node's readline and the JSONL splitters of
 * stream-json and split2 hold a line of any length; here a longer line is reported (and skipped to its end)
 * without being held, and bytes that are not UTF-8 are reported too. Blank lines carry nothing and are left out.
 */
export async function* ndjsonLines(chunks: AsyncIterable<Buffer>, maxBytes: number): AsyncGenerator<Line> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let parts: Buffer[] = [];
  let bytes = 0;
  let number = 0;
  const finish = (): Line | null => {
    number++;
    const line =
      bytes > maxBytes ? { number, bytes, problem: `is longer than IMPORT_MAX_CONVERSATION_BYTES (${maxBytes} bytes)` } : decode();
    parts = [];
    bytes = 0;
    return 'text' in line && line.text.trim() === '' ? null : line;
  };
  const decode = (): Line => {
    try {
      return { number, bytes, text: decoder.decode(Buffer.concat(parts, bytes)) };
    } catch {
      return { number, bytes, problem: 'is not UTF-8 text' };
    }
  };
  for await (const chunk of chunks) {
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE); end !== -1; start = end + 1, end = chunk.indexOf(NEWLINE, start)) {
      take(chunk.subarray(start, end));
      const line = finish();
      if (line) yield line;
    }
    take(chunk.subarray(start));
  }
  if (bytes > 0) {
    const line = finish();
    if (line) yield line;
  }

  function take(part: Buffer): void {
    bytes += part.length;
    if (bytes <= maxBytes) parts.push(part);
    else parts = [];
  }
}
