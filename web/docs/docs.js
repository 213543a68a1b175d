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
  // Swagger UI leaves the server picker and the server-variable inputs without labels (axe-core: label,
  // select-name): name them once they are rendered.
  const name = () => {
    const servers = document.getElementById('servers');
    if (servers && !servers.hasAttribute('aria-label')) servers.setAttribute('aria-label', 'Server');
    document.querySelectorAll('input[data-variable]:not([aria-label])').forEach((input) => {
      input.setAttribute('aria-label', `Server variable ${input.dataset.variable}`);
    });
  };
  new MutationObserver(name).observe(document.getElementById('swagger-ui'), { childList: true, subtree: true });
});
