'use strict'
// A contender's home: a worker thread (its own posix-aio engine, chosen by
// the AIO_BACKEND it was started with) or, with --child, a child process
// (for UV_USE_IO_URING, which libuv reads once per process).
const { parentPort } = require('node:worker_threads')
const { run } = require('./contenders')

async function answer ({ kind, scenario, params }) {
  try {
    return { rate: await run(kind, scenario, params) }
  } catch (error) {
    return { error: String(error && error.stack || error) }
  }
}

if (parentPort) {
  parentPort.on('message', async (job) => parentPort.postMessage(await answer(job)))
} else {
  process.on('message', async (job) => process.send(await answer(job)))
}
