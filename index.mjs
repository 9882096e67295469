// ESM entry (package.json "exports" → import). It re-exports the CommonJS
// build rather than being a second compiled copy, so `import` and `require`
// share one module instance: the same AIO, ControlBlock and engine state.
// `export *` follows whatever dist/index.js exports (Node reads its names).
export * from './dist/index.js'
export { default } from './dist/index.js'
