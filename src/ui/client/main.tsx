/** The Webhooks page's entry point (bundled by src/ui/bundle.ts). */
import { render } from 'preact';
import { App } from './components/app';
import './styles.css';

const root = document.getElementById('app');
if (!root) throw new Error('the page has no #app element');
render(<App />, root);
