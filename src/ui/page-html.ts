/**
 * The Webhooks page's HTML: an empty shell that loads its script and stylesheet as separate
 * files (the Content-Security-Policy allows no inline script or style).
 */
export function pageHtml(assets: { script: string; stylesheet: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Webhooks · callhook</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${assets.stylesheet}">
<script type="module" src="${assets.script}"></script>
</head>
<body>
<noscript>The Webhooks page needs JavaScript; the API is documented at <a href="/openapi.json">/openapi.json</a>.</noscript>
<div id="app"></div>
</body>
</html>
`;
}
