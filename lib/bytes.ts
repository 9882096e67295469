// Byte views: every buffer the engine takes is a Uint8Array over the
// caller's memory, never a copy.

/** A Uint8Array over the same memory as any ArrayBufferView. */
export function toBytes (view: ArrayBufferView): Uint8Array {
  if (view instanceof Uint8Array) return view
  try {
    return new Uint8Array(view.buffer, view.byteOffset, view.byteLength)
  } catch {
    // A DataView of a detached (transferred) buffer: it has no bytes left.
    return new Uint8Array(0)
  }
}

/** The bytes of several views together. */
export function byteLength (views: readonly Uint8Array[]): number {
  let total = 0
  for (const view of views) total += view.byteLength
  return total
}

/** `views` without their first `count` bytes (a new array; the views are not copied). */
export function skipBytes<T extends Uint8Array> (views: T[], count: number): T[] {
  let i = 0
  while (i < views.length && count >= views[i].byteLength) count -= views[i++].byteLength
  const rest = views.slice(i)
  // subarray() of a Buffer is a Buffer, of a Uint8Array a Uint8Array.
  if (count > 0) rest[0] = rest[0].subarray(count) as T
  return rest
}
