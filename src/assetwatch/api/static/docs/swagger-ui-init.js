// Starts Swagger UI on /docs (a file, not an inline script: the page's CSP allows no inline
// script). The document is the app's own /openapi.json, beside the page.
window.ui = SwaggerUIBundle({
  url: new URL("openapi.json", document.baseURI).href,
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  validatorUrl: null, // no badge fetched from the public validator
  persistAuthorization: false, // the key stays in this page's memory, never in storage
  presets: [SwaggerUIBundle.presets.apis],
});
