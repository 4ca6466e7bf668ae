/** A secret the API shows once (a generated HMAC secret, a rotated one) or a public key, with a copy button. */
import type { ComponentChildren } from 'preact';
import { CopyButton } from './copy-button';

export function SecretReveal(props: { title: string; value: string; children?: ComponentChildren; multiline?: boolean }) {
  return (
    <section class="reveal" aria-label={props.title}>
      <h4>{props.title}</h4>
      {props.children}
      {props.multiline ? <pre class="secret-value">{props.value}</pre> : <code class="secret-value">{props.value}</code>}
      <CopyButton text={props.value} label={`Copy ${props.title.toLowerCase()}`} />
    </section>
  );
}
