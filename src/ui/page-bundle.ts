/** The Webhooks page as served: its HTML and hashed assets, however they were made (bundled now, or by the build). */
export interface PageAsset {
  contentType: string;
  body: Buffer;
  /** The body gzipped once at build time, for browsers that accept it (all do). */
  gzipped: Buffer;
}

export interface PageBundle {
  /** The page's HTML, naming the hashed assets. */
  html: string;
  /** By file name (`app.<hash>.js`, `app.<hash>.css`). */
  assets: ReadonlyMap<string, PageAsset>;
}
