import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';
import { build as viteBuild, type Plugin } from 'vite';

// Builds into out/: out/main/index.js (ESM, package.json "main"), out/preload/index.cjs
// (CommonJS: sandboxed preloads cannot be ES modules), out/preload/web.js (the browser host's
// preload: one classic script, see below) and out/renderer/index.html.
// `electron-vite build` needs no Electron binary.
const root = import.meta.dirname;

/**
 * The browser host's web preload (src-preload/web.ts) as one self-contained classic script
 * (IIFE), out/preload/web.js. The browser host serves it beside index.html and injects it before
 * the app's module script; renderer code never imports it. Built after the Electron preload,
 * whose build empties out/preload first.
 */
function webPreload(): Plugin {
  return {
    name: 'quire-web-preload',
    apply: 'build',
    async closeBundle() {
      await viteBuild({
        configFile: false,
        logLevel: 'warn',
        define: { 'process.env.NODE_ENV': JSON.stringify('production') },
        build: {
          outDir: resolve(root, 'out/preload'),
          emptyOutDir: false,
          copyPublicDir: false,
          sourcemap: false,
          minify: true,
          lib: {
            entry: resolve(root, 'src-preload/web.ts'),
            formats: ['iife'],
            name: 'QuireWebPreload',
            fileName: () => 'web.js',
          },
        },
      });
    },
  };
}

export default defineConfig({
  main: {
    build: {
      outDir: resolve(root, 'out/main'),
      rolldownOptions: {
        input: { index: resolve(root, 'src-main/electron/index.ts') },
      },
    },
  },
  preload: {
    plugins: [webPreload()],
    build: {
      outDir: resolve(root, 'out/preload'),
      // A sandboxed preload can require only `electron` (and a few polyfilled built-ins):
      // bundle every npm dependency into the one file instead of externalizing it.
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: resolve(root, 'src-preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(root, 'src-renderer'),
    plugins: [react()],
    build: {
      outDir: resolve(root, 'out/renderer'),
      rolldownOptions: {
        input: { index: resolve(root, 'src-renderer/index.html') },
      },
    },
  },
});
