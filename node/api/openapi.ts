// The OpenAPI 3.1 description of the API, built from the routes the server registers and
// their documentation (route-docs.ts), served at GET /openapi.json.
//
// The routes are collected by an onRoute hook as they are added, so every route the server
// serves appears, including those a node adds after createApiServer (run-node.ts adds
// /v1/head and /v1/blocks/:height). A route with no documentation is listed as
// "undocumented" (test/node/api-openapi.test.ts fails on that), so a new route cannot go
// missing from the description unnoticed.
//
// Why not @fastify/swagger: it collects routes from a plugin, which fastify loads only
// after the routes this server declares synchronously, so it would see none of them.
import type { FastifyInstance, RouteOptions } from 'fastify'
import { onlyKnown } from './params.ts'
import { ROUTE_DOCS, routeDocKey, type JsonSchema, type RouteDoc } from './route-docs.ts'

/** The version of the HTTP API this describes: its routes are under /v1; this changes when
 * they do (added routes or fields: minor; anything a client could trip on: /v2). */
export const API_DESCRIPTION_VERSION = '1.0.0'

/** What a route without an entry in ROUTE_DOCS is documented as. */
export const UNDOCUMENTED_SUMMARY = 'undocumented route'

const UNDOCUMENTED: RouteDoc = { summary: UNDOCUMENTED_SUMMARY, tags: [], response: {} }

type OpenApiDocument = { [key: string]: unknown, paths: Record<string, Record<string, unknown>> }

/** A fastify URL (/v1/entries/:id) as an OpenAPI path (/v1/entries/{id}). */
export function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')
}

function parameters(where: 'path' | 'query' | 'header', schema: JsonSchema | undefined): unknown[] {
  if (schema === undefined) return []
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>
  const required = new Set((schema.required ?? []) as string[])
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property
    return {
      name,
      in: where,
      required: where === 'path' || required.has(name),
      ...(description === undefined ? {} : { description }),
      schema: rest,
    }
  })
}

function responseObject(status: string, schema: JsonSchema): unknown {
  if (schema.content !== undefined) return { description: schema.description ?? status, content: schema.content }
  const { description, ...rest } = schema
  return { description: description ?? (status.startsWith('2') ? 'success' : 'error'), content: { 'application/json': { schema: rest } } }
}

/** The path parameters of a URL, in its order, as documented or else as bare strings
 * (OpenAPI requires one for each template in the path). */
function pathParameters(url: string, schema: JsonSchema | undefined): unknown[] {
  const documented = new Map(parameters('path', schema).map((p) => [(p as { name: string }).name, p]))
  return [...url.matchAll(/:([A-Za-z0-9_]+)/g)].map(([, name]) => documented.get(name!) ?? { name, in: 'path', required: true, schema: {} })
}

function operation(url: string, doc: RouteDoc): Record<string, unknown> {
  const params = [...pathParameters(url, doc.params), ...parameters('query', doc.querystring), ...parameters('header', doc.headers)]
  const responses: Record<string, unknown> = {}
  // OpenAPI writes status ranges as 4XX.
  for (const [status, schema] of Object.entries(doc.response)) responses[status.toUpperCase()] = responseObject(status, schema)
  if (Object.keys(responses).length === 0) responses.default = { description: 'not documented' }
  return {
    summary: doc.summary,
    ...(doc.description === undefined ? {} : { description: doc.description }),
    tags: doc.tags,
    ...(params.length === 0 ? {} : { parameters: params }),
    ...(doc.body === undefined ? {} : { requestBody: { required: true, content: { 'application/json': { schema: doc.body } } } }),
    responses,
  }
}

/** Starts collecting routes and registers GET /openapi.json. Call before the routes are
 * added: onRoute hooks see only the routes added after them. */
export function installOpenApi(app: FastifyInstance): void {
  const routes: { method: string, url: string }[] = []
  app.addHook('onRoute', (route: RouteOptions) => {
    // Hidden: the CORS plugin's catch-all OPTIONS route (a preflight, not an API route).
    if ((route.schema as { hide?: boolean } | undefined)?.hide === true) return
    for (const method of typeof route.method === 'string' ? [route.method] : route.method) routes.push({ method, url: route.url })
  })
  let built: OpenApiDocument | null = null
  app.get('/openapi.json', async (request, reply) => {
    onlyKnown(request.query, [])
    // Routes can only be added before the server starts, so the first answer is final.
    built ??= describe(routes)
    return reply.type('application/json; charset=utf-8').send(built)
  })
}

function describe(routes: readonly { method: string, url: string }[]): OpenApiDocument {
  const paths = new Map<string, Map<string, unknown>>()
  for (const { method, url } of routes) {
    const path = openApiPath(url)
    const operations = paths.get(path) ?? new Map<string, unknown>()
    operations.set(method.toLowerCase(), operation(url, ROUTE_DOCS.get(routeDocKey(method, url)) ?? UNDOCUMENTED))
    paths.set(path, operations)
  }
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'Synod validator node HTTP API',
      version: API_DESCRIPTION_VERSION,
      description: 'A node need not be trusted: receipts, checkpoints, consistency proofs and exports carry a quorum of validator signatures and verify offline against the genesis. Full text: docs/api.md.',
    },
    tags: [
      { name: 'entries', description: 'submit, read, query and follow decisions' },
      { name: 'chain', description: 'checkpoints, proofs, blocks and exports' },
      { name: 'transparency', description: 'C2SP signed-note checkpoints, tlog-tiles, witness cosignatures' },
      { name: 'operations', description: 'health, metrics, this description' },
    ],
    paths: Object.fromEntries([...paths].map(([path, operations]) => [path, Object.fromEntries(operations)])),
  }
}
