// fs takes a FileHandle where it takes a descriptor (fs.createReadStream(
// path, { fd: handle }), fs.promises.readFile(handle), …) after an
// `instanceof` check on its own internal class. That class is reachable
// only through a handle fs.promises.open returns, so the first open puts
// it under the project's handles: they pass the check, and fs calls
// their own members (read, write, close, on('close')), which shadow
// every member of its class.
import { open } from 'node:fs/promises'
import { devNull } from 'node:os'

let adopted: Promise<void> | undefined

// With no descriptor to spare (and then the open beside this one fails
// too), the handles stay only the project's.
/* c8 ignore next */
const notAdopted = (): void => {}

/** Makes instances of `cls` instances of Node's FileHandle too; once. */
export function adoptNodeHandle (cls: { prototype: object }): Promise<void> {
  adopted ??= open(devNull).then(async (probe) => {
    Object.setPrototypeOf(cls.prototype, Object.getPrototypeOf(probe))
    await probe.close()
  }, notAdopted)
  return adopted
}
