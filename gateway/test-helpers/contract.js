'use strict';

// Checks a real response against an OpenAPI 3.1 document (the gateway's, GET
// /api/openapi.json): the documented response for its path, method and status (or
// the operation's `default`), the media type, the required headers and their
// schemas, and a JSON body against its schema (JSON Schema 2020-12, as OpenAPI 3.1
// says). The Python side has the same checker for the service
// (tests/service/contract.py).
const assert = require('node:assert/strict');
const Ajv2020 = require('ajv/dist/2020');

const REQUEST_ID = /^[0-9a-f]{32}$/;

/** An error body without its (generated) request id, after checking that it has a well-formed one. */
function withoutRequestId(body) {
  const { request_id: requestId, ...error } = body.error;
  assert.match(String(requestId), REQUEST_ID);
  return { ...body, error };
}

/** "/api/images/{id}" matches "/api/images/abc". */
function templateMatches(template, path) {
  const pattern = new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`);
  return pattern.test(path);
}

function mediaTypeMatches(actual, documented) {
  if (documented === actual) return true;
  const [main, sub] = documented.split('/');
  return sub === '*' && actual.startsWith(`${main}/`);
}

function resolve(document, node) {
  let current = node;
  while (current && current.$ref) {
    current = current.$ref
      .replace(/^#\//, '')
      .split('/')
      .reduce((target, part) => target[part], document);
  }
  return current;
}

class ContractChecker {
  constructor(document) {
    this.document = document;
    // strict: false, as the document's schemas carry OpenAPI keywords (contentMediaType...).
    this.ajv = new Ajv2020({ strict: false, allErrors: false });
    this.validators = new Map();
  }

  validate(schema, instance) {
    const key = JSON.stringify(schema);
    if (!this.validators.has(key)) {
      // The document's components ride along, so "#/components/..." references resolve.
      this.validators.set(key, this.ajv.compile({ allOf: [schema], components: this.document.components }));
    }
    const validator = this.validators.get(key);
    return validator(instance) ? null : this.ajv.errorsText(validator.errors);
  }

  /** The documented response object, or null for a path or method the document does not have. */
  documentedResponse(path, method, status) {
    const template = Object.keys(this.document.paths).find((candidate) => templateMatches(candidate, path));
    const operation = template && this.document.paths[template][method.toLowerCase()];
    if (!operation) return null;
    return operation.responses[String(status)] || operation.responses.default || null;
  }

  /** Throws (AssertionError) when a supertest response is not what the document says for `method path`. */
  check(method, path, response) {
    const where = `${method.toUpperCase()} ${path} -> ${response.status}`;
    let documented = this.documentedResponse(path, method, response.status);
    if (!documented) {
      assert.ok(response.status >= 400, `${where}: an undocumented route answered`);
      documented = { content: { 'application/json': { schema: { $ref: '#/components/schemas/GatewayError' } } } };
    }
    const mediaType = String(response.headers['content-type'] || '')
      .split(';')[0]
      .trim()
      .toLowerCase();
    const content = documented.content || {};
    const matching = Object.keys(content).filter((name) => mediaTypeMatches(mediaType, name));
    if (Object.keys(content).length)
      assert.ok(matching.length, `${where}: Content-Type ${mediaType} is not documented (${Object.keys(content)})`);
    for (const [name, header] of Object.entries(documented.headers || {})) {
      const { required, schema = {} } = resolve(this.document, header);
      const value = response.headers[name.toLowerCase()];
      if (value === undefined) {
        assert.ok(!required, `${where}: the documented header ${name} is missing`);
        continue;
      }
      const parsed = ['integer', 'number'].includes(schema.type) ? Number(value) : value;
      const problem = this.validate(schema, parsed);
      assert.equal(problem, null, `${where}: header ${name}=${value}: ${problem}`);
    }
    if (matching.length && mediaType === 'application/json') {
      const problem = this.validate(content[matching[0]].schema || {}, response.body);
      assert.equal(problem, null, `${where}: ${problem}\nbody: ${JSON.stringify(response.body).slice(0, 1000)}`);
    }
  }
}

module.exports = { ContractChecker, withoutRequestId, templateMatches };
