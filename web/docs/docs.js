// Swagger UI over our generated contract (docs/openapi.json, served here as openapi.json); assets self-hosted from
// the npm package swagger-ui-dist (no CDN). "Authorize" takes a bearer token; Swagger UI keeps it in memory only.
window.addEventListener('load', () => {
  window.ui = SwaggerUIBundle({
    url: 'openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: false,
    validatorUrl: null,
    tryItOutEnabled: false,
    persistAuthorization: false,
  });
});
