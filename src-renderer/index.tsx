// The renderer entry: one notebook window. Everything it knows arrives through
// `window.quire` (the IPC contract), whichever host provides it.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import type { QuireApi } from '../src-shared/ipc/contract';
import { App } from './app/App';
import './styles.css';

declare global {
  interface Window {
    quire?: QuireApi;
  }
}

const rootElement = document.getElementById('root');
if (!rootElement) throw new Error('Quire: #root element missing from index.html');
const root = createRoot(rootElement);
if (window.quire) {
  root.render(
    <StrictMode>
      <App api={window.quire} />
    </StrictMode>,
  );
} else {
  root.render(
    <main className="fatal">
      <h1>Quire could not start this window</h1>
      <p>The host did not provide <code>window.quire</code>. Open notebooks with <code>npm start</code> or the URL that <code>quire serve</code> prints.</p>
    </main>,
  );
}
