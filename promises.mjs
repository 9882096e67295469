// ESM entry of 'posix-aio/promises' (package.json "exports"): the CommonJS
// build re-exported, so both share one module instance and one engine.
export * from './dist/promises.js'
export { default } from './dist/promises.js'
