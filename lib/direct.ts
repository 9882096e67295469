// IO on an O_DIRECT handle from callers that know nothing of alignment
// (the streams): buffers, offsets and lengths in whole blocks. Reads are
// widened to the blocks around them; writes are gathered into whole
// blocks, the file's own bytes filling the first and last block around
// the caller's, and the file cut back to its true end after a last block
// that only part of was the caller's.
import { native } from './binding'

/** The unit O_DIRECT is aligned to here: a page, which any disk's logical block divides. */
export const BLOCK = 4096

export const blockFloor = (n: number): number => n - (n % BLOCK)
export const blockCeil = (n: number): number => blockFloor(n + BLOCK - 1)

/** A zero-filled Buffer whose memory starts at a multiple of `alignment`. */
export function aligned (size: number, alignment: number = BLOCK): Buffer {
  return Buffer.from(native.alignedBuffer(size, alignment))
}

/** What block IO needs of its handle. */
export interface BlockTarget {
  read: (buffer: Uint8Array, offset: number, length: number, position: number | null) => Promise<{ bytesRead: number }>
  write: (buffer: Uint8Array, offset: number, length: number, position: number | null) => Promise<{ bytesWritten: number }>
  truncate: (len: number) => Promise<void>
  stat: () => Promise<{ size: number }>
}

/**
 * A read of `length` bytes at `position` as whole blocks: `buffer` is the
 * caller's view of them, and `done` how many of its bytes the file had.
 */
export function readBlocks (target: BlockTarget, position: number, length: number): { buffer: Buffer, done: Promise<number> } {
  const at = blockFloor(position)
  const skip = position - at
  const blocks = aligned(blockCeil(position + length) - at)
  const done = target.read(blocks, 0, blocks.length, at)
    .then(({ bytesRead }) => Math.max(0, Math.min(length, bytesRead - skip)))
  return { buffer: blocks.subarray(skip, skip + length), done }
}

/** A buffer of whole blocks from file position `at`, the caller's bytes at [from, to). */
interface Stage {
  at: number
  blocks: Buffer
  from: number
  to: number
}

const settled = (promise: Promise<unknown>): Promise<unknown> => promise.then(() => {}, () => {})

/**
 * Gathers bytes written one after another (as fs's WriteStream writes
 * them) into stages of `size` bytes of whole blocks; each full stage is
 * one write. The writes are returned for the caller to start (and count)
 * as it starts its own.
 *
 * A stage only part of whose first or last block is the caller's (a
 * partial one) takes the file's own bytes there, if the file has any, so
 * it runs alone: after every write before it, and before any after it.
 * On a write-only handle, needing the file's bytes fails (EBADF).
 */
export class BlockWriter {
  #stage: Stage | undefined
  /** Every write so far, settled. */
  #all: Promise<unknown> = Promise.resolve()
  /** The last partial stage's write, settled. */
  #partial: Promise<unknown> = Promise.resolve()

  constructor (readonly target: BlockTarget, readonly size: number) {}

  /** Where the next byte goes if it follows the last one. */
  get next (): number | undefined {
    return this.#stage === undefined ? undefined : this.#stage.at + this.#stage.to
  }

  /**
   * Takes `bytes`, which follow the last ones taken (or, with no stage
   * open, go at `position`); the writes of the stages they filled.
   */
  take (bytes: Uint8Array, position: number): Array<() => Promise<unknown>> {
    const writes: Array<() => Promise<unknown>> = []
    let taken = 0
    while (taken < bytes.byteLength) {
      const at = position + taken
      this.#stage ??= { at: blockFloor(at), blocks: aligned(this.size), from: at % BLOCK, to: at % BLOCK }
      const stage = this.#stage
      const n = Math.min(bytes.byteLength - taken, this.size - stage.to)
      stage.blocks.set(bytes.subarray(taken, taken + n), stage.to)
      stage.to += n
      taken += n
      if (stage.to === this.size) {
        this.#stage = undefined
        writes.push(this.#writer(stage))
      }
    }
    return writes
  }

  /** The write of the stage being filled, if any. */
  rest (): (() => Promise<unknown>) | undefined {
    const stage = this.#stage
    this.#stage = undefined
    return stage === undefined ? undefined : this.#writer(stage)
  }

  #writer (stage: Stage): () => Promise<unknown> {
    return () => {
      const partial = stage.from > 0 || stage.to % BLOCK !== 0
      const written = partial
        ? this.#all.then(() => this.#writePartial(stage))
        : this.#partial.then(() => this.target.write(stage.blocks, 0, stage.to, stage.at))
      this.#all = Promise.all([this.#all, settled(written)])
      if (partial) this.#partial = settled(written)
      return written
    }
  }

  async #writePartial (stage: Stage): Promise<void> {
    const { target } = this
    const length = blockCeil(stage.to)
    const last = length - BLOCK
    const { size } = await target.stat()
    // The file's bytes around the caller's: before them in the first
    // block, after them in the last (none past the file's end: zeros).
    const fileBlock = async (at: number): Promise<Buffer> => {
      const block = aligned(BLOCK)
      const { bytesRead } = await target.read(block, 0, BLOCK, stage.at + at)
      return block.subarray(0, bytesRead)
    }
    const first = stage.from > 0 && size > stage.at ? await fileBlock(0) : undefined
    first?.copy(stage.blocks, 0, 0, Math.min(first.length, stage.from))
    if (stage.to % BLOCK !== 0 && size > stage.at + stage.to) {
      const block = last === 0 && first !== undefined ? first : await fileBlock(last)
      block.copy(stage.blocks, stage.to, stage.to - last)
    }
    await target.write(stage.blocks, 0, length, stage.at)
    // The blocks reach past the file's end: it ends where the caller's bytes or its own did.
    if (size < stage.at + length) await target.truncate(Math.max(size, stage.at + stage.to))
  }
}
