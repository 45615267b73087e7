// Starts Swagger UI on /api/v1/docs; the spec URL and options come from data attributes (no inline script).
window.addEventListener("load", function () {
  const el = document.getElementById("swagger-ui-container");
  const config = Object.assign({url: el.dataset.specUrl, dom_id: "#swagger-ui-container"},
                               JSON.parse(el.dataset.config || "{}"));
  window.ui = SwaggerUIBundle(config);
});
