// Types of the ESM entry of 'posix-aio/promises': those of the CommonJS build.
export * from './dist/promises.js'
declare const promises: typeof import('./dist/promises.js')
export default promises
