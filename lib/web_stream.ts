// fh.readableWebStream(), as Node 20's: a ReadableStream of the handle's
// bytes from its position, byte-oriented with { type: 'bytes' }. The
// handle stays open while the stream is readable; closing the handle
// cancels the stream.
import { ReadableStream, type ReadableByteStreamController, type ReadableStreamDefaultController } from 'node:stream/web'
import { aligned, blockCeil } from './direct'
import { invalidArgType, validateObject } from './errors'
import { kHold, kRelease } from './streams'

/** What the stream needs of its handle. */
export interface WebStreamTarget {
  read: (buffer: Uint8Array, offset: number, length: number, position: null) => Promise<{ bytesRead: number }>
  once: (event: 'close', listener: () => void) => unknown
  [kHold]: () => void
  [kRelease]: () => void
}

// A default stream's chunks: what one read of the file gives (fs's own
// stream reads 64 KiB at a time).
const CHUNK = 64 * 1024
// The byte stream's buffers when the reader brings none (as Node's).
const AUTO_ALLOCATE = 16384

/**
 * Reads into `into` from the handle's position. On an O_DIRECT handle, a
 * read of whole blocks into a buffer of its own, whose bytes `into` does
 * not take are the next call's.
 */
function reader (target: WebStreamTarget, direct: boolean): (into: Uint8Array) => Promise<number> {
  if (!direct) return async (into) => (await target.read(into, 0, into.byteLength, null)).bytesRead
  let left: Buffer = Buffer.alloc(0)
  return async (into) => {
    if (left.length === 0) {
      const blocks = aligned(blockCeil(Math.max(1, into.byteLength)))
      left = blocks.subarray(0, (await target.read(blocks, 0, blocks.length, null)).bytesRead)
    }
    const n = Math.min(into.byteLength, left.length)
    into.set(left.subarray(0, n))
    left = left.subarray(n)
    return n
  }
}

export function readableWebStream (target: WebStreamTarget, options: unknown, direct: boolean): ReadableStream<Uint8Array> {
  const { type } = validateObject(options, 'options')
  if (type !== undefined && typeof type !== 'string') throw invalidArgType('options.type', 'of type string', type)
  const read = reader(target, direct)
  let released = false
  // The handle is released once: at the end, on cancel, or when it closes.
  const release = (): void => {
    if (released) return
    released = true
    target[kRelease]()
  }
  let close: () => void
  let readable: ReadableStream<Uint8Array>
  if (type === 'bytes') {
    let controller: ReadableByteStreamController
    readable = new ReadableStream({
      type: 'bytes',
      autoAllocateChunkSize: AUTO_ALLOCATE,
      start (c) { controller = c },
      async pull (c) {
        const view = c.byobRequest!.view!
        const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength)
        const bytesRead = await read(bytes)
        if (released) return c.byobRequest!.respond(0)
        if (bytesRead === 0) {
          release()
          c.close()
        }
        c.byobRequest!.respond(bytesRead)
      },
      cancel: release
    })
    close = () => { controller.close() }
  } else {
    let controller: ReadableStreamDefaultController<Uint8Array>
    readable = new ReadableStream<Uint8Array>({
      start (c) { controller = c },
      async pull (c) {
        const chunk = Buffer.allocUnsafeSlow(CHUNK)
        const bytesRead = await read(chunk)
        if (released) return
        if (bytesRead === 0) {
          release()
          return c.close()
        }
        c.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, bytesRead))
      },
      cancel: release
    })
    close = () => { controller.close() }
  }
  target[kHold]()
  // As Node's (which cancels it even while a reader holds it): the
  // stream ends, and the handle's close goes ahead.
  target.once('close', () => {
    if (released) return
    release()
    if (readable.locked) close()
    else void readable.cancel()
  })
  return readable
}
