// OpenAPI documents and reference pages per External API version, cut from the one generated document.
import type { FastifyInstance } from "fastify";

type OpenApiDoc = { paths?: Record<string, unknown>; servers?: unknown; [key: string]: unknown };

/** The part of the whole document under `prefix`, with paths made relative to it. */
export function documentFor(app: FastifyInstance, prefix: string, title: string): OpenApiDoc {
  const whole = app.swagger() as OpenApiDoc;
  const paths: Record<string, unknown> = {};
  for (const [path, item] of Object.entries(whole.paths ?? {})) {
    if (path.startsWith(`${prefix}/`)) paths[path.slice(prefix.length)] = item;
  }
  return { ...whole, info: { ...(whole.info as object), title }, servers: [{ url: prefix }], paths };
}

/** A Swagger UI page for one document, using the assets the main /docs page serves. */
function page(title: string, specUrl: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<link rel="stylesheet" href="/docs/static/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/static/swagger-ui-bundle.js"></script>
<script src="/docs/static/swagger-ui-standalone-preset.js"></script>
<script>window.ui = SwaggerUIBundle({ url: ${JSON.stringify(specUrl)}, dom_id: "#swagger-ui", deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: "StandaloneLayout" });</script>
</body></html>`;
}

export async function registerExternalDocs(app: FastifyInstance): Promise<void> {
  const documents = [
    { prefix: "/external-api/v1", title: "Agentry External API v1" },
    { prefix: "/external-api/v2", title: "Agentry External API v2 (recommended)" },
    { prefix: "/external-api", title: "Agentry External API" },
  ];
  for (const { prefix, title } of documents) {
    app.get(`${prefix}/openapi.json`, { schema: { hide: true } }, async () => documentFor(app, prefix, title));
    app.get(`${prefix}/docs`, { schema: { hide: true } }, async (_request, reply) =>
      reply.type("text/html").send(page(title, `${prefix}/openapi.json`)),
    );
  }
}
