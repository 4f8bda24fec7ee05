// Starts ReDoc on /redoc (a file, not an inline script: the page's CSP allows no inline
// script). The document is the app's own /openapi.json, beside the page; no web fonts are loaded.
Redoc.init(
  new URL("openapi.json", document.baseURI).href,
  { hideDownloadButton: false },
  document.getElementById("redoc"),
);
