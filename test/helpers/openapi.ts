import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { REPO } from './run-cli.js';

interface Operation { requestBody?: { content: Record<string, { schema: unknown }> }; responses: Record<string, { $ref?: string; content?: Record<string, unknown> }> }
type PathItem = Record<string, Operation | unknown>;
interface Doc { paths: Record<string, PathItem> }

const METHODS = ['get', 'put', 'post', 'delete'];
const pointer = (parts: string[]) => `#/${parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;

/**
 * An OpenAPI 3.1 document as a test's oracle: each request and response checked against the operation it is
 * (its JSON bodies against the document's schemas, its status among the documented ones), and which operations
 * were run, so that a test can say every route was.
 */
export class OpenApiCheck {
  readonly doc: Doc;
  private readonly ajv = new Ajv2020({ allErrors: true, strict: false, allowUnionTypes: true });
  private readonly ran = new Set<string>();

  constructor(file = join(REPO, 'schemas', 'jobs-api.openapi.json')) {
    this.doc = JSON.parse(readFileSync(file, 'utf8')) as Doc;
    this.ajv.addSchema(this.doc as object, 'doc');
  }

  /** Every operation as `get /api/jobs/{job_id}`. */
  operations(): string[] {
    return Object.entries(this.doc.paths).flatMap(([path, item]) => METHODS.filter((m) => m in item).map((m) => `${m} ${path}`));
  }

  private op(method: string, template: string): Operation {
    const op = this.doc.paths[template]?.[method.toLowerCase()] as Operation | undefined;
    assert.ok(op, `the document has no ${method} ${template}`);
    return op;
  }

  private check(ref: string, value: unknown, what: string): void {
    const v = this.ajv.getSchema(`doc${ref}`) ?? this.ajv.compile({ $ref: `doc${ref}` });
    assert.ok(v(value), `${what} does not match the document: ${JSON.stringify(v.errors, null, 2)}\n${JSON.stringify(value)}`);
  }

  request(method: string, template: string, body: unknown): void {
    const op = this.op(method, template);
    if (op.requestBody?.content['application/json']) {
      this.check(pointer(['paths', template, method.toLowerCase(), 'requestBody', 'content', 'application/json', 'schema']), body, `the request of ${method} ${template}`);
    }
  }

  /** Checks a response; `contentType` as answered. */
  response(method: string, template: string, status: number, contentType: string | undefined, body: string): void {
    const op = this.op(method, template);
    const documented = op.responses[String(status)];
    assert.ok(documented, `${method} ${template} answered ${status}, which the document does not list (${Object.keys(op.responses).join(', ')}): ${body}`);
    this.ran.add(`${method.toLowerCase()} ${template}`);
    const base = documented.$ref ? documented.$ref.slice(2).split('/') : ['paths', template, method.toLowerCase(), 'responses', String(status)];
    if (contentType?.startsWith('application/json')) this.check(pointer([...base, 'content', 'application/json', 'schema']), JSON.parse(body) as unknown, `${status} of ${method} ${template}`);
  }

  /** A frame of a WebSocket operation (its 101 response's schema). */
  frame(template: string, frame: unknown): void {
    this.ran.add(`get ${template}`);
    this.check(pointer(['paths', template, 'get', 'responses', '101', 'content', 'application/json', 'schema']), frame, `a frame of ${template}`);
  }

  notRun(): string[] {
    return this.operations().filter((o) => !this.ran.has(o));
  }
}
