'use strict';

const pkg = require('../package.json');
const { REQUEST_ID_PATTERN } = require('./logger');

/**
 * The gateway's OpenAPI 3.1 document, served at GET /api/openapi.json and shown on
 * the /api/docs page: the gateway's own routes (/api/health, /api/colorize,
 * /api/images/{id}) plus the inference service's REST API as the gateway passes it
 * through at /api/v1 (the service's own document, fetched from a replica, so its
 * limits and options are the ones in force). The gateway's tests check its real
 * answers against this document (gateway/test/openapi.test.js).
 */

const ERROR = { $ref: '#/components/schemas/GatewayError' };
const REQUEST_ID = { $ref: '#/components/headers/GatewayRequestId' };
const RETRY_AFTER = { $ref: '#/components/headers/GatewayRetryAfter' };

function json(schema) {
  return { 'application/json': { schema } };
}

/** An error answer whose `error.code` is one of `codes`. */
function errorResponse(description, codes, { retryAfter = false } = {}) {
  const headers = { 'X-Request-Id': REQUEST_ID };
  if (retryAfter) headers['Retry-After'] = RETRY_AFTER;
  return {
    description: `${description} Codes: ${codes.join(', ')}.`,
    headers,
    content: json({ allOf: [ERROR, { properties: { error: { properties: { code: { enum: codes } } } } }] }),
  };
}

function object(properties, required = Object.keys(properties), extra = {}) {
  return { type: 'object', additionalProperties: false, properties, required, ...extra };
}

// Errors the gateway itself adds in front of a replica.
const GATEWAY_ERRORS = {
  502: errorResponse('No inference replica could be reached, or one sent an unusable answer.', [
    'upstream_unavailable',
    'bad_upstream_response',
    'upstream_error',
  ]),
  504: errorResponse('The inference service did not answer in time.', ['upstream_timeout']),
};
const RATE_LIMITED = errorResponse(
  'Too many images from this client (or, with API keys, this key) in a short time, or the key used up its daily quota.',
  ['rate_limited', 'quota_exceeded'],
  { retryAfter: true },
);
// With GATEWAY_AUTH=keys (docs/api-keys.md); GET /api/health says which mode is on.
const UNAUTHORIZED = errorResponse('GATEWAY_AUTH=keys: no API key, an unknown one or a revoked one.', [
  'api_key_missing',
  'api_key_invalid',
  'api_key_revoked',
]);
const KEYS_UNAVAILABLE = errorResponse(
  'GATEWAY_AUTH=keys: the API keys cannot be checked now.',
  ['key_store_unavailable'],
  {
    retryAfter: true,
  },
);
const SECURITY = [{ apiKeyBearer: [] }, { apiKeyHeader: [] }];
const OTHER_ERRORS = {
  description:
    'Any other error (not_found, method_not_allowed, request_timeout for a stalled upload, internal_error...).',
  content: json(ERROR),
};

const COMPONENTS = {
  securitySchemes: {
    apiKeyBearer: {
      type: 'http',
      scheme: 'bearer',
      description: 'An API key from `colorizer keys create`, needed when GATEWAY_AUTH=keys.',
    },
    apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'The same key, in its own header.' },
  },
  headers: {
    GatewayRequestId: {
      description:
        "The request id: the client's X-Request-Id when it matches the pattern, else a new one (32 hex " +
        'digits). The gateway passes it to the inference service, and both log it.',
      required: true,
      schema: { type: 'string', pattern: REQUEST_ID_PATTERN.source },
    },
    GatewayRetryAfter: {
      description: 'Seconds to wait before trying again.',
      required: false,
      schema: { type: 'integer', minimum: 1 },
    },
  },
  schemas: {
    GatewayError: object(
      {
        error: object(
          {
            code: { type: 'string', description: 'Stable, machine-readable (see each response for its codes).' },
            message: { type: 'string', description: 'For people; may change.' },
            parameter: { type: 'string', description: 'For invalid_parameter: which parameter.' },
            request_id: { type: 'string', pattern: REQUEST_ID_PATTERN.source },
          },
          ['code', 'message', 'request_id'],
        ),
      },
      ['error'],
      { description: 'Every error of the gateway, and every error of the service it passes on, has this shape.' },
    ),
    ColorizeResult: object(
      {
        id: { type: 'string', pattern: '^[A-Za-z0-9_-]{24}$' },
        url: { type: 'string', description: 'Where the image is: GET it (inline).' },
        download_url: { type: 'string', description: 'The same image as an attachment.' },
        width: { type: 'integer' },
        height: { type: 'integer' },
        content_type: { type: 'string' },
        bytes: { type: 'integer' },
        filename: { type: 'string', description: 'A harmless name for a download.' },
        model_name: { type: ['string', 'null'] },
        model_version: { type: ['string', 'null'] },
        inference_ms: { type: ['number', 'null'] },
        input_in_colour: {
          type: ['boolean', 'null'],
          description:
            "The upload was already a colour photo (the service's X-Input-Colour); it is colorized from its gray either way. Null: the service did not say.",
        },
        expires_at: { type: 'string', description: 'When the result is deleted (ISO 8601).' },
        expires_in_s: { type: 'integer', description: 'The same, in seconds from now.' },
      },
      undefined,
      { description: 'A colorized image, kept for a while (GET /api/health: gateway.limits.result_ttl_s).' },
    ),
    GatewayHealth: object({
      status: { type: 'string', enum: ['ok', 'degraded'] },
      gateway: object({
        status: { type: 'string', enum: ['ok', 'failing'] },
        version: { type: 'string' },
        uptime_s: { type: 'integer' },
        auth: { type: 'string', enum: ['off', 'keys'], description: 'keys: the other /api routes need an API key.' },
        results: {
          type: 'object',
          description: 'The result store: backend (disk or redis), status, count, bytes, max_bytes.',
          required: ['backend', 'status', 'max_bytes'],
          properties: {
            backend: { type: 'string', enum: ['disk', 'redis'] },
            status: { type: 'string', enum: ['ok', 'failing'] },
            error: { type: 'string' },
            count: { type: ['integer', 'null'] },
            bytes: { type: ['integer', 'null'] },
            max_bytes: { type: 'integer' },
          },
          additionalProperties: false,
        },
        limits: object({
          result_ttl_s: { type: 'integer', description: 'How long a colorized result is kept.' },
          max_upload_bytes: {
            type: ['integer', 'null'],
            description: "Largest accepted image: the inference service's limit (null until a replica answered).",
          },
        }),
      }),
      inference: {
        type: 'object',
        description: "The replicas' state: READY when any replica is; `detail` is the chosen one's /v1/health.",
        required: ['status', 'detail', 'ready_replicas', 'replicas'],
        properties: {
          status: { type: 'string' },
          detail: { type: 'object' },
          ready_replicas: { type: 'integer' },
          replicas: { type: 'array', items: { type: 'object' } },
        },
      },
    }),
  },
};

/** The gateway's own routes; `colorizeRequest`: the service's request description of /v1/colorize. */
function ownPaths(colorizeRequest) {
  const ok = (description, content) => ({ description, headers: { 'X-Request-Id': REQUEST_ID }, content });
  return {
    '/api/health': {
      get: {
        operationId: 'gatewayHealth',
        tags: ['gateway'],
        summary: 'The gateway, its result store and the inference replicas, checked now.',
        responses: {
          200: ok(
            'Ready: a replica is READY and results can be stored.',
            json({ $ref: '#/components/schemas/GatewayHealth' }),
          ),
          503: ok('Degraded: see which part.', json({ $ref: '#/components/schemas/GatewayHealth' })),
          default: OTHER_ERRORS,
        },
      },
    },
    '/api/colorize': {
      post: {
        operationId: 'gatewayColorize',
        tags: ['gateway'],
        security: SECURITY,
        summary: 'Colorize one image and keep the result for a while (what the web app uses).',
        description:
          'The same request as POST /api/v1/colorize (which answers the image itself); this answers where the ' +
          'stored result is. A replica that is busy or unreachable is skipped for another.',
        ...colorizeRequest,
        responses: {
          201: {
            ...ok('Colorized and stored.', json({ $ref: '#/components/schemas/ColorizeResult' })),
            headers: {
              'X-Request-Id': REQUEST_ID,
              Location: { description: 'The result URL.', required: true, schema: { type: 'string' } },
            },
          },
          400: errorResponse('From the inference service: no image, or not a decodable one.', [
            'missing_image',
            'invalid_image',
            'bad_request',
          ]),
          413: errorResponse('The upload is larger than the limit.', ['payload_too_large', 'form_too_large']),
          415: errorResponse('Neither multipart/form-data nor an image/* body.', ['unsupported_media_type']),
          422: errorResponse('From the inference service: too many pixels, or a bad parameter.', [
            'image_too_large',
            'invalid_parameter',
            'hints_unsupported',
          ]),
          401: UNAUTHORIZED,
          429: RATE_LIMITED,
          503: errorResponse(
            'Every replica is busy or not ready, results cannot be stored, or API keys cannot be checked.',
            ['busy', 'not_ready', 'result_store_unavailable', 'key_store_unavailable'],
            { retryAfter: true },
          ),
          507: errorResponse('The colorized image is larger than the result store takes.', ['result_too_large']),
          ...GATEWAY_ERRORS,
          default: OTHER_ERRORS,
        },
      },
    },
    '/api/images/{id}': {
      get: {
        operationId: 'gatewayImage',
        tags: ['gateway'],
        security: SECURITY,
        summary: 'A stored result (POST /api/colorize), until it expires; with API keys, only to its own key.',
        parameters: [
          { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
          {
            name: 'download',
            in: 'query',
            required: false,
            description: '1 or true: as an attachment (Content-Disposition), for a download.',
            schema: { type: 'string', enum: ['1', 'true'] },
          },
        ],
        responses: {
          200: {
            description: 'The image.',
            headers: {
              'X-Request-Id': REQUEST_ID,
              'Content-Disposition': { required: true, schema: { type: 'string' } },
              ETag: { required: true, schema: { type: 'string' } },
            },
            content: Object.fromEntries(
              ['image/png', 'image/jpeg', 'image/webp'].map((type) => [
                type,
                { schema: { type: 'string', contentMediaType: type } },
              ]),
            ),
          },
          304: { description: 'Not modified (If-None-Match: a result never changes).' },
          401: UNAUTHORIZED,
          404: errorResponse("No image with this id: it never existed, has expired, or is another key's.", [
            'not_found',
          ]),
          503: KEYS_UNAVAILABLE,
          default: OTHER_ERRORS,
        },
      },
    },
    '/api/openapi.json': {
      get: {
        operationId: 'gatewayOpenapi',
        tags: ['gateway'],
        summary: 'This document.',
        responses: {
          200: ok('The OpenAPI 3.1 document.', json({ type: 'object', required: ['openapi', 'paths'] })),
          default: OTHER_ERRORS,
        },
      },
    },
    '/api/docs': {
      get: {
        operationId: 'gatewayDocs',
        tags: ['gateway'],
        summary: 'This reference as a page to read and try (Swagger UI).',
        responses: {
          200: ok('The page.', { 'text/html': { schema: { type: 'string' } } }),
          default: OTHER_ERRORS,
        },
      },
    },
  };
}

/** The service's paths as the gateway serves them: /v1/x at /api/v1/x, plus the gateway's own errors. */
function passedThroughPaths(serviceDocument) {
  const paths = {};
  for (const [path, operations] of Object.entries(serviceDocument.paths)) {
    if (!path.startsWith('/v1/')) continue; // the service's "/" and "/openapi.json" are not passed through
    paths[`/api${path}`] = Object.fromEntries(
      Object.entries(operations).map(([method, operation]) => [
        method,
        {
          ...operation,
          operationId: `v1_${operation.operationId}`,
          tags: ['inference service (/api/v1)'],
          ...(path !== '/v1/health' && { security: SECURITY }),
          responses: {
            ...operation.responses,
            ...(path !== '/v1/health' && { 401: UNAUTHORIZED }),
            ...(method === 'post' && { 429: RATE_LIMITED }),
            ...GATEWAY_ERRORS,
          },
        },
      ]),
    );
  }
  paths['/api/v1/openapi.json'] = {
    get: {
      operationId: 'v1_openapi',
      tags: ['inference service (/api/v1)'],
      summary: "The inference service's own OpenAPI document, with its server set to /api.",
      responses: {
        200: {
          description: 'The OpenAPI 3.1 document.',
          headers: { 'X-Request-Id': REQUEST_ID },
          content: json({ type: 'object', required: ['openapi', 'paths'] }),
        },
        ...GATEWAY_ERRORS,
        default: OTHER_ERRORS,
      },
    },
  };
  return paths;
}

/**
 * The whole document. `serviceDocument`: GET /openapi.json of a replica, or null
 * when none answered (then only the gateway's own routes are described, and the
 * description says so).
 */
function buildGatewayDocument(serviceDocument) {
  const colorize = serviceDocument?.paths?.['/v1/colorize']?.post;
  const colorizeRequest = colorize ? { parameters: colorize.parameters, requestBody: colorize.requestBody } : {};
  const missing = serviceDocument
    ? ''
    : ' **The inference service could not be reached: its API (/api/v1) is missing below; reload later.**';
  return {
    openapi: '3.1.0',
    info: {
      title: 'Colorizer API (gateway)',
      version: pkg.version,
      description:
        'The gateway in front of the colorizer: /api/colorize keeps results for a while and answers where ' +
        "they are (the web app uses it); /api/v1 is the inference service's REST API, passed through " +
        `(service API version ${serviceDocument?.info?.version ?? 'unknown'}). Every error is JSON: ` +
        '{"error": {"code", "message", "request_id"}}, with a stable `code`.' +
        missing,
    },
    tags: [
      { name: 'gateway', description: "The gateway's own routes." },
      { name: 'inference service (/api/v1)', description: "The inference service's API, passed through." },
    ],
    paths: { ...ownPaths(colorizeRequest), ...(serviceDocument ? passedThroughPaths(serviceDocument) : {}) },
    components: {
      securitySchemes: COMPONENTS.securitySchemes,
      headers: { ...serviceDocument?.components?.headers, ...COMPONENTS.headers },
      schemas: { ...serviceDocument?.components?.schemas, ...COMPONENTS.schemas },
    },
  };
}

/** The service's own document as reachable through the gateway (its paths relative to /api). */
function serviceDocumentBehindGateway(serviceDocument) {
  // The service's "/" and "/openapi.json" are not passed through (this document is at /api/v1/openapi.json).
  const paths = Object.fromEntries(Object.entries(serviceDocument.paths).filter(([path]) => path.startsWith('/v1/')));
  return { ...serviceDocument, servers: [{ url: '/api', description: 'Through the gateway' }], paths };
}

/** The query parameter names of POST /v1/colorize in the service's document (null when it has none). */
function colorizeQueryParameters(serviceDocument) {
  const parameters = serviceDocument?.paths?.['/v1/colorize']?.post?.parameters;
  if (!Array.isArray(parameters)) return null;
  return parameters.filter((parameter) => parameter?.in === 'query').map((parameter) => String(parameter.name));
}

module.exports = { buildGatewayDocument, serviceDocumentBehindGateway, colorizeQueryParameters };
