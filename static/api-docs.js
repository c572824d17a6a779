// Starts Swagger UI on the API reference page with the app's own OpenAPI document (no inline script: the CSP).
(function () {
  var root = document.getElementById("swagger-ui");
  if (root && window.SwaggerUIBundle) {
    window.SwaggerUIBundle({ url: root.dataset.specUrl, domNode: root, deepLinking: true });
  }
})();
