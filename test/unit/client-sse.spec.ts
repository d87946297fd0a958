import { readSse } from '../../src/client/sse-reader';

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield new TextEncoder().encode(part);
}

async function collect(...parts: string[]) {
  const messages = [];
  for await (const message of readSse(chunks(...parts))) messages.push(message);
  return messages;
}

describe('readSse', () => {
  it('parses frames split anywhere across chunks, skipping comments', async () => {
    const messages = await collect(
      'id: 7\n\n: keep-alive\n\nid: 8\nevent: ev',
      'ent\ndata: {"a":\ndata: 1}\n',
      '\nevent: state\r\ndata: null\r\n\r\n',
    );
    expect(messages).toEqual([
      { id: '7', event: 'message', data: '' },
      { id: '8', event: 'event', data: '{"a":\n1}' },
      { id: undefined, event: 'state', data: 'null' },
    ]);
  });

  it('drops an unfinished frame at the end of the stream', async () => {
    expect(await collect('data: complete\n\ndata: cut off')).toEqual([
      { id: undefined, event: 'message', data: 'complete' },
    ]);
  });
});
