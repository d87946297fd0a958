/** One dispatched Server-Sent Event (the WHATWG event-stream format). */
export interface SseMessage {
  id: string | undefined;
  event: string;
  data: string;
}

/**
 * Splits a text/event-stream body into messages: fields up to a blank line,
 * `data` lines joined with newlines, comments (heartbeats) skipped, and a
 * block without data (the feed's id-only frame) reported with empty data so
 * the caller still learns its id.
 */
export async function* readSse(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true }).replace(/\r\n?/g, '\n');
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const message = parseBlock(block);
      if (message) yield message;
    }
  }
}

function parseBlock(block: string): SseMessage | null {
  let id: string | undefined;
  let event = 'message';
  let data: string | null = null;
  let fields = 0;
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    fields += 1;
    if (field === 'data') data = data === null ? value : `${data}\n${value}`;
    else if (field === 'id') id = value;
    else if (field === 'event') event = value;
  }
  return fields === 0 ? null : { id, event, data: data ?? '' };
}
