/** Copies a text to the clipboard and says so. */
import { useState } from 'preact/hooks';
import { messageOf } from '../api';

export function CopyButton(props: { text: string; label?: string }) {
  const [state, setState] = useState<{ done: boolean; error: string | null }>({ done: false, error: null });
  async function copy() {
    try {
      await navigator.clipboard.writeText(props.text);
      setState({ done: true, error: null });
    } catch (err) {
      // Clipboard access refused (an insecure origin, a denied permission): the text stays selectable.
      setState({ done: false, error: `Could not copy (${messageOf(err)}): select the text and copy it` });
    }
  }
  return (
    <span class="copy">
      <button type="button" onClick={() => void copy()}>
        {props.label ?? 'Copy'}
      </button>
      <span class="copy-state" role="status">
        {state.done ? 'Copied' : state.error ?? ''}
      </span>
    </span>
  );
}
