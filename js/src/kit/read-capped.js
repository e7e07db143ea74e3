// Reading a body with a byte cap: stop pulling as soon as more than `limit` bytes have
// arrived, whatever Content-Length says (or does not say: chunked bodies have none).
// Both hosts use it: the browser for the bundle and its signature, the edge worker for
// those, the /.perso/ forms and the pages it holds before rewriting them.

/**
 * `{ complete: true, bytes }` when the stream ended within `limit` bytes, else
 * `{ complete: false, chunks, reader }`: what was read so far and the reader, still
 * open, so that the caller can either cancel it or pass the rest on (`resumeStream`).
 */
export async function readAtMost(stream, limit) {
  if (stream === null) return { complete: true, bytes: new Uint8Array(0) };
  const reader = stream.getReader();
  const chunks = [];
  let total = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return { complete: true, bytes: concat(chunks, total) };
    const chunk = value instanceof Uint8Array ? value : new Uint8Array(value);
    chunks.push(chunk);
    total += chunk.byteLength;
    if (total > limit) return { complete: false, chunks, reader };
  }
}

/** Reads the whole stream or throws `onOverflow()`'s error, having cancelled the rest. */
export async function readAllWithin(stream, limit, onOverflow) {
  const read = await readAtMost(stream, limit);
  if (read.complete) return read.bytes;
  await read.reader.cancel().catch(() => {});
  throw onOverflow();
}

/** The bytes already read followed by the rest of the reader, as one stream. */
export function resumeStream(chunks, reader) {
  let index = 0;
  return new ReadableStream({
    async pull(controller) {
      if (index < chunks.length) return controller.enqueue(chunks[index++]);
      const { value, done } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

function concat(chunks, total) {
  if (chunks.length === 1) return chunks[0];
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
