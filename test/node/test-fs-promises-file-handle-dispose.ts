// Ported from Node.js v20.11.1, test/parallel/test-fs-promises-file-handle-dispose.js
// (MIT, Node.js contributors). `open` is common.open (Node's: fs.promises.open).
import * as common from './common'

const { open, check } = common

async function doOpen (): Promise<void> {
  const fh = await open(__filename)
  const closed = common.mustCall(undefined, 1, { title: "doOpen: fh.on('close', common.mustCall())" })
  await common.attempt(() => fh.on('close', closed), closed)
  await check('doOpen: await fh[Symbol.asyncDispose]() resolves', () => fh[Symbol.asyncDispose]())
}

common.run(doOpen)
