export { QuireCore, canonicalNotebookPath, type CoreOptions, type WindowSink } from './quire-core';
export { changesBetween, everything, type DocChanges } from './doc-changes';
