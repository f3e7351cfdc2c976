// Placeholder renderer root; the notebook shell comes with the shell issue.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

function App() {
  return (
    <main>
      <h1>Quire</h1>
      <p>The notebook shell is coming.</p>
    </main>
  );
}

const rootElement = document.getElementById('root');
if (!rootElement) throw new Error('Quire: #root element missing from index.html');
createRoot(rootElement).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
