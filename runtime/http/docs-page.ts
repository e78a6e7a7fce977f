import { createHash } from 'node:crypto';
import { type Response, Router } from 'express';
import { type OpenApiDocument, openApiDocument } from './openapi.js';

/**
 * `GET /v2/openapi.json` and `GET /v2/docs`: the OpenAPI document and a readable reference page
 * rendered from it on the server. The page is self-contained — no script at all, one inline style
 * allowed by its hash — and every text from the document is escaped.
 */

type Json = Record<string, any>;

const esc = (value: unknown): string =>
  String(value).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

/** Escaped prose; `backticked` spans (already escaped) become code. */
const text = (value: unknown): string => esc(value).replace(/`([^`]+)`/g, '<code>$1</code>');

/** An id usable in a fragment link, derived only from safe characters. */
const anchor = (s: string) => s.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '');

const STYLE = `
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1b1f24;background:#fff}
header{background:#17324d;color:#fff;padding:1.2rem 2rem}header h1{margin:0;font-size:1.5rem}
header p{margin:.2rem 0 0;opacity:.85}header a{color:#fff}
main{display:grid;grid-template-columns:16rem 1fr;gap:2rem;padding:1rem 2rem;max-width:90rem}
nav{position:sticky;top:0;align-self:start;max-height:100vh;overflow:auto;font-size:.9rem}
nav ul{list-style:none;padding-left:0}nav li{margin:.15rem 0}a{color:#0b5cad}
.intro p{max-width:60rem}
section.op{border:1px solid #d5dbe1;border-radius:6px;margin:1rem 0;padding:.6rem 1rem}
.op h3{margin:.2rem 0;font-size:1rem;font-family:ui-monospace,Menlo,Consolas,monospace}
.m{display:inline-block;min-width:4.2rem;text-align:center;border-radius:4px;color:#fff;padding:0 .4rem;margin-right:.5rem}
.get{background:#1f7a3d}.post{background:#0b5cad}.put{background:#8a5a00}.delete{background:#b3261e}.patch{background:#6b3fa0}
table{border-collapse:collapse;margin:.4rem 0;font-size:.9rem}td,th{border:1px solid #e1e5ea;padding:.2rem .5rem;text-align:left;vertical-align:top}
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.88em;background:#f3f5f7;padding:0 .2rem;border-radius:3px}
.req{color:#b3261e}.muted{color:#5b6672}h2{border-bottom:1px solid #d5dbe1;padding-bottom:.2rem;margin-top:2rem}
`;

/** The page's CSP: nothing but this one stylesheet; no scripts, frames, forms or base changes. */
export const DOCS_CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; img-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`;

function refName(schema: Json | undefined): string | undefined {
  const r = schema?.$ref;
  return typeof r === 'string' && r.startsWith('#/components/schemas/')
    ? r.slice('#/components/schemas/'.length)
    : undefined;
}

/** A short type expression, linking to named schemas. */
function typeOf(schema: Json | undefined): string {
  if (!schema) return '';
  const name = refName(schema);
  if (name) return `<a href="#schema-${anchor(name)}">${esc(name)}</a>`;
  if (schema.oneOf || schema.anyOf)
    return (schema.oneOf ?? schema.anyOf).map((s: Json) => typeOf(s)).join(' | ');
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  let t = types.map((x: string) => (x === 'array' ? `array of ${typeOf(schema.items)}` : esc(x))).join(' | ');
  if (!t && schema.type === undefined && schema.properties) t = 'object';
  if (schema.enum) t += ` (${schema.enum.map((v: unknown) => `<code>${esc(v)}</code>`).join(', ')})`;
  const limits = [
    schema.minimum !== undefined ? `≥ ${esc(schema.minimum)}` : '',
    schema.maximum !== undefined ? `≤ ${esc(schema.maximum)}` : '',
    schema.format ? esc(schema.format) : '',
    schema.pattern ? `<code>${esc(schema.pattern)}</code>` : '',
  ].filter(Boolean);
  return limits.length ? `${t} <span class="muted">${limits.join(', ')}</span>` : t;
}

function propertiesTable(schema: Json): string {
  const props: Json = schema.properties ?? {};
  const required = new Set<string>(schema.required ?? []);
  if (!Object.keys(props).length) return `<p>${typeOf(schema)}</p>`;
  const rows = Object.entries(props)
    .map(
      ([name, s]) =>
        `<tr><td><code>${esc(name)}</code>${required.has(name) ? ' <span class="req">required</span>' : ''}</td><td>${typeOf(s)}</td><td>${text((s as Json).description ?? '')}</td></tr>`,
    )
    .join('');
  return `<table><tr><th>Field</th><th>Type</th><th>Description</th></tr>${rows}</table>`;
}

function operationHtml(doc: OpenApiDocument, path: string, method: string, o: Json): string {
  const parts: string[] = [];
  parts.push(
    `<h3 id="${anchor(o.operationId ?? `${method}-${path}`)}"><span class="m ${esc(method)}">${esc(method.toUpperCase())}</span>${esc(path)}</h3>`,
  );
  parts.push(`<p>${text(o.summary ?? '')}</p>`);
  if (o.description) parts.push(`<p class="muted">${text(o.description)}</p>`);
  const security: Json[] = o.security ?? doc.security;
  parts.push(
    `<p class="muted">Authentication: ${
      security.length ? security.map((alt) => esc(Object.keys(alt).join(' + '))).join(' or ') : 'none'
    }</p>`,
  );
  if (o.parameters?.length) {
    parts.push(
      `<table><tr><th>Path parameter</th><th>Type</th><th>Description</th></tr>${o.parameters
        .map(
          (p: Json) =>
            `<tr><td><code>${esc(p.name)}</code></td><td>${typeOf(p.schema)}</td><td>${text(p.description ?? '')}</td></tr>`,
        )
        .join('')}</table>`,
    );
  }
  if (o.requestBody) {
    const [type, media] = Object.entries(o.requestBody.content as Json)[0] as [string, Json];
    parts.push(
      `<p>Request body (<code>${esc(type)}</code>${o.requestBody.required ? ', required' : ''}): ${typeOf(media.schema)}</p>`,
    );
  }
  const responses = Object.entries(o.responses as Json).map(([status, r]) => {
    const resolved: Json = r.$ref ? doc.components.responses[String(r.$ref).split('/').pop()!] : r;
    const content = Object.entries((resolved.content ?? {}) as Json)
      .map(([type, m]) => `<code>${esc(type)}</code> ${typeOf((m as Json).schema)}`)
      .join(', ');
    return `<tr><td>${esc(status)}</td><td>${text(resolved.description ?? '')}</td><td>${content}</td></tr>`;
  });
  parts.push(`<table><tr><th>Status</th><th>Meaning</th><th>Body</th></tr>${responses.join('')}</table>`);
  return `<section class="op">${parts.join('\n')}</section>`;
}

/** Renders the reference page of an OpenAPI document. */
export function renderDocsPage(doc: OpenApiDocument): string {
  const byTag = new Map<string, Array<[string, string, Json]>>();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, o] of Object.entries(item as Json)) {
      const tag = (o as Json).tags?.[0] ?? 'Other';
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag)!.push([path, method, o as Json]);
    }
  }
  const tags = [
    ...doc.tags.filter((t) => byTag.has(t.name)),
    ...[...byTag.keys()]
      .filter((name) => !doc.tags.some((t) => t.name === name))
      .map((name) => ({ name, description: '' })),
  ];
  const nav = tags
    .map((t) => `<li><a href="#tag-${anchor(t.name)}">${esc(t.name)}</a></li>`)
    .concat('<li><a href="#schemas">Schemas</a></li>')
    .join('');
  const sections = tags
    .map(
      (t) =>
        `<h2 id="tag-${anchor(t.name)}">${esc(t.name)}</h2>${t.description ? `<p>${text(t.description)}</p>` : ''}${byTag
          .get(t.name)!
          .map(([path, method, o]) => operationHtml(doc, path, method, o))
          .join('\n')}`,
    )
    .join('\n');
  const schemas = Object.entries(doc.components.schemas as Json)
    .map(
      ([name, s]) =>
        `<section class="op"><h3 id="schema-${anchor(name)}">${esc(name)}</h3>${(s as Json).description ? `<p>${text((s as Json).description)}</p>` : ''}${propertiesTable(s as Json)}</section>`,
    )
    .join('\n');
  const intro = String(doc.info.description ?? '')
    .split(/\n\n/)
    .map((p) => `<p>${text(p)}</p>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(doc.info.title)} ${esc(doc.info.version)}</title><style>${STYLE}</style></head>
<body><header><h1>${esc(doc.info.title)}</h1><p>Version ${esc(doc.info.version)} · OpenAPI ${esc(doc.openapi)} · <a href="openapi.json">openapi.json</a></p></header>
<main><nav><ul>${nav}</ul></nav><div><div class="intro">${intro}</div>${sections}<h2 id="schemas">Schemas</h2>${schemas}</div></main>
</body></html>`;
}

/** The documentation routes; mounted on the v2 router before authentication. */
export function docsRoutes(version: string): Router {
  const router = Router();
  const doc = openApiDocument(version);
  const json = JSON.stringify(doc);
  let html: string | undefined;
  router.get('/openapi.json', (_req, res: Response) => {
    res.type('application/json').send(json);
  });
  router.get('/docs', (_req, res: Response) => {
    html ??= renderDocsPage(doc);
    res.setHeader('Content-Security-Policy', DOCS_CSP);
    res.type('text/html').send(html);
  });
  return router;
}
