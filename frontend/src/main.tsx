import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

// The page's base styles first: each feature's own stylesheet comes with its components and may refine them.
import './shared/base.css';
import App from './App';
import { deviceAwareApi, registerOfflineShell } from './features/device/deviceApi';

registerOfflineShell();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App api={deviceAwareApi} />
  </StrictMode>,
);
