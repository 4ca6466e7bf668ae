/** `go1.26.8` (or `1.25`, `devel go1.27-abc`) → [1, 26, 8]; undefined when it names no version. */
export function parseGoVersion(text: string): [number, number, number] | undefined {
  const match = /(?:^|go)(\d+)\.(\d+)(?:\.(\d+))?/.exec(text.trim());
  if (!match) return undefined;
  return [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
}

/** Whether Go `found` is `min` or newer; undefined when `found` cannot be read. */
export function goVersionAtLeast(found: string, min: string): boolean | undefined {
  const have = parseGoVersion(found);
  const need = parseGoVersion(min);
  if (!have || !need) return undefined;
  for (let i = 0; i < 3; i++) {
    if (have[i] !== need[i]) return (have[i] ?? 0) > (need[i] ?? 0);
  }
  return true;
}
