/**
 * Header–body validation for MCP 2026-07-28 requests over Streamable HTTP (SEP-2243): the standard
 * request headers (`MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name`), the `=?base64?…?=` value
 * sentinel, and the `Mcp-Param-{Name}` headers a tool declares with `x-mcp-header` in its
 * `inputSchema`.
 *
 * Transport-free: headers are read through a {@link HeaderReader}, and a failed check returns a
 * {@link HeaderProblem} rather than an HTTP answer. The transport answers every problem with
 * JSON-RPC error -32020 (`HeaderMismatch`), HTTP 400 (2026-07-28, "Transports" › "Streamable HTTP" ›
 * "Server Validation").
 *
 * Spec source: 2026-07-28 `basic/transports/streamable-http` ("Request Metadata", "Standard Request
 * Headers", "Custom Headers from Tool Parameters", "Value Encoding", "Case Sensitivity", "Server
 * Validation") and `server/tools` ("x-mcp-header").
 */
import { isRecord } from './jsonrpc.js';

/**
 * Reads a request header by lower-case name (`mcp-method`, `mcp-param-region`); `undefined` when
 * absent. Header names are case-insensitive ("Case Sensitivity"), so the reader does the folding,
 * as `node:http`'s `req.headers[name]` and fetch's `Headers.get(name)` do. The value is returned as
 * received; the checks strip optional whitespace themselves.
 */
export type HeaderReader = (name: string) => string | undefined;

/**
 * What a header check found wrong. The transport answers JSON-RPC -32020 (`HeaderMismatch`) with
 * HTTP 400 and this as `error.data`.
 *
 * - `header`: the header's name as the specification writes it (`Mcp-Name`, `Mcp-Param-Region`).
 * - `problem`: `missing` (a required header is absent), `mismatch` (its value differs from the body),
 *   `invalid_encoding` (an invalid `=?base64?…?=` sentinel, or a plain value with a character outside
 *   the RFC 9110 field-value set).
 * - `expected`: the body's value (for `MCP-Protocol-Version`, the envelope's protocol version), as a
 *   string; present for `missing` and `mismatch`.
 * - `received`: the header's value after optional whitespace is stripped, and for `mismatch` on
 *   `Mcp-Name` or `Mcp-Param-*` after the sentinel is decoded; present for `mismatch` and
 *   `invalid_encoding`.
 */
export interface HeaderProblem {
  readonly header: string;
  readonly problem: 'missing' | 'mismatch' | 'invalid_encoding';
  readonly expected?: string;
  readonly received?: string;
}

const SENTINEL_PREFIX = '=?base64?';
const SENTINEL_SUFFIX = '?=';
const SENTINEL_MIN_LENGTH = SENTINEL_PREFIX.length + SENTINEL_SUFFIX.length;
/** RFC 4648 §4 base64, padding required, no whitespace; the empty string encodes the empty value. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** RFC 9110 §5.5 field-value characters a plain (not encoded) value may hold: HTAB, SP, VCHAR. */
const PLAIN_FIELD_VALUE = /^[\t\x20-\x7e]*$/;
/** Strict: a byte sequence that is not UTF-8 fails; `ignoreBOM` keeps a leading U+FEFF in the value. */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Strips RFC 9110 §5.6.3 optional whitespace (SP, HTAB) around a field value; no copy when none. */
export function stripOws(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && isOws(value.charCodeAt(start))) start++;
  while (end > start && isOws(value.charCodeAt(end - 1))) end--;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}

function isOws(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/**
 * Decodes an `Mcp-Name` or `Mcp-Param-{Name}` header value ("Value Encoding"):
 *
 * 1. Strips RFC 9110 optional whitespace (SP, HTAB) around the value.
 * 2. A value that both starts with `=?base64?` and ends with `?=` (case-sensitive) is a sentinel: the
 *    text between them must be padded RFC 4648 base64 of UTF-8 (empty for the empty string), decoded
 *    strictly (invalid UTF-8 fails; a byte-order mark is kept). A value too short to hold both markers
 *    without overlap (`=?base64?=`) is an invalid sentinel.
 * 3. Any other value is literal, and may hold only HTAB, SP and visible ASCII (0x21–0x7E): anything
 *    else is an invalid character the server must reject ("Server Behavior for Custom Headers").
 *
 * @returns the decoded value, or `undefined` when the sentinel or a literal character is invalid.
 */
export function decodeHeaderValue(raw: string): string | undefined {
  const value = stripOws(raw);
  if (!value.startsWith(SENTINEL_PREFIX) || !value.endsWith(SENTINEL_SUFFIX)) {
    return PLAIN_FIELD_VALUE.test(value) ? value : undefined;
  }
  if (value.length < SENTINEL_MIN_LENGTH) return undefined;
  const payload = value.slice(SENTINEL_PREFIX.length, value.length - SENTINEL_SUFFIX.length);
  if (!BASE64.test(payload)) return undefined;
  try {
    return utf8.decode(Buffer.from(payload, 'base64'));
  } catch {
    return undefined;
  }
}

/** The body field `Mcp-Name` mirrors for `method`, or `undefined` when the method carries none. */
function nameSource(method: string): 'name' | 'uri' | 'taskId' | undefined {
  switch (method) {
    case 'tools/call':
    case 'prompts/get':
      return 'name';
    case 'resources/read':
      return 'uri';
    case 'tasks/get':
    case 'tasks/update':
    case 'tasks/cancel':
      return 'taskId';
    default:
      return undefined;
  }
}

/**
 * Checks the standard request headers of one 2026-07-28 request against its body, in this order
 * (2026-07-28 Streamable HTTP, "Protocol Version Header", "Standard Request Headers", "Server
 * Validation"):
 *
 * 1. `MCP-Protocol-Version` is present and equals `version`, the body's
 *    `_meta["io.modelcontextprotocol/protocolVersion"]`.
 * 2. `Mcp-Method` is present and equals `method`. Values are case-sensitive (`TOOLS/LIST` is not
 *    `tools/list`) and are never sentinel-decoded.
 * 3. `Mcp-Name`, for `tools/call` and `prompts/get` (`params.name`), `resources/read` (`params.uri`)
 *    and the tasks extension's `tasks/get`, `tasks/update`, `tasks/cancel` (`params.taskId`, SEP-2663):
 *    when present it must decode ({@link decodeHeaderValue}); when the body field is a string the
 *    header must be present and decode to exactly that string. A body without the field is left to
 *    params validation.
 *
 * Optional whitespace around each value is stripped first. For requests only: the specification's
 * table names requests, and a notification is not held to it.
 *
 * @param method the request's JSON-RPC `method`.
 * @param params the request's `params` (an empty object when it has none).
 * @param version the protocol version the body's envelope claims.
 * @returns the first problem found, or `undefined` when the headers agree with the body.
 */
export function checkStandardHeaders(
  method: string,
  params: Readonly<Record<string, unknown>>,
  version: string,
  header: HeaderReader,
): HeaderProblem | undefined {
  const versionHeader = header('mcp-protocol-version');
  if (versionHeader === undefined) {
    return { header: 'MCP-Protocol-Version', problem: 'missing', expected: version };
  }
  const receivedVersion = stripOws(versionHeader);
  if (receivedVersion !== version) {
    return {
      header: 'MCP-Protocol-Version',
      problem: 'mismatch',
      expected: version,
      received: receivedVersion,
    };
  }
  const methodHeader = header('mcp-method');
  if (methodHeader === undefined) return { header: 'Mcp-Method', problem: 'missing', expected: method };
  const receivedMethod = stripOws(methodHeader);
  if (receivedMethod !== method) {
    return { header: 'Mcp-Method', problem: 'mismatch', expected: method, received: receivedMethod };
  }
  const field = nameSource(method);
  if (field === undefined) return undefined;
  const bodyValue = params[field];
  const expected = typeof bodyValue === 'string' ? bodyValue : undefined;
  const nameHeader = header('mcp-name');
  if (nameHeader === undefined) {
    return expected === undefined ? undefined : { header: 'Mcp-Name', problem: 'missing', expected };
  }
  const decoded = decodeHeaderValue(nameHeader);
  if (decoded === undefined) {
    return { header: 'Mcp-Name', problem: 'invalid_encoding', received: stripOws(nameHeader) };
  }
  if (expected !== undefined && decoded !== expected) {
    return { header: 'Mcp-Name', problem: 'mismatch', expected, received: decoded };
  }
  return undefined;
}

/**
 * One `x-mcp-header` declaration of a tool's `inputSchema` (2026-07-28 `server/tools`, "x-mcp-header").
 *
 * - `path`: the property names from the arguments root to the declaring property (every step a
 *   `properties` key), e.g. `['target', 'region']`.
 * - `header`: the declared `{Name}` as written (`Region`); the header is `Mcp-Param-Region`.
 * - `fieldName`: that header's name in lower case (`mcp-param-region`), as a {@link HeaderReader}
 *   takes it; computed once so that a check allocates nothing per request.
 * - `type`: the declaring property's JSON Schema `type`.
 */
export interface ParamHeaderDeclaration {
  readonly path: readonly string[];
  readonly header: string;
  readonly fieldName: string;
  readonly type: 'string' | 'integer' | 'boolean';
}

const X_MCP_HEADER = 'x-mcp-header';
/** RFC 9110 §5.6.2 `token` (`1*tchar`): no empty name, space, control character or delimiter. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Keywords whose value is instance data, not a subschema: an `x-mcp-header` key inside is just data. */
const DATA_KEYWORDS: ReadonlySet<string> = new Set(['const', 'enum', 'default', 'examples']);
/** Keywords whose value maps names to subschemas (the names are not schema keywords). */
const SCHEMA_MAP_KEYWORDS: ReadonlySet<string> = new Set([
  'properties',
  'patternProperties',
  'dependentSchemas',
  '$defs',
  'definitions',
]);

/** RFC 6901 JSON Pointer of a schema location, for error messages. */
function pointer(location: readonly string[]): string {
  return location.length === 0
    ? '(root)'
    : `/${location.map((s) => s.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;
}

/**
 * Scans a tool's `inputSchema` (JSON Schema, as advertised in `tools/list`) for `x-mcp-header`
 * declarations and checks every constraint 2026-07-28 places on them (`server/tools`, "x-mcp-header";
 * Streamable HTTP, "Custom Headers from Tool Parameters" › "Schema Extension"). A client drops a tool
 * that breaks one of them from `tools/list`, so a server must not advertise it.
 *
 * A declaration is valid when:
 * - its property is statically reachable from the root through `properties` keys only: not under
 *   `items`, `prefixItems`, `additionalProperties`, `patternProperties`, `anyOf`/`oneOf`/`allOf`/`not`,
 *   `if`/`then`/`else`, `$defs`, or any other keyword; and not on the root itself;
 * - its value is a non-empty RFC 9110 token (`1*tchar`), so no space, CR, LF or delimiter;
 * - it is unique among the schema's declarations, compared case-insensitively;
 * - its property's `type` is exactly `"string"`, `"integer"` or `"boolean"` (`number`, `object`,
 *   `array`, `null`, a type list and a missing type are refused).
 *
 * Values of `const`, `enum`, `default` and `examples` are instance data and are not searched.
 * Computed once per tool by the caller.
 *
 * @returns the declarations in schema order; empty when there are none or `inputSchema` is not an object.
 * @throws TypeError naming the property (or the schema location) of the first invalid declaration.
 */
export function paramHeaderDeclarations(inputSchema: unknown): readonly ParamHeaderDeclaration[] {
  if (!isRecord(inputSchema)) return [];
  const declarations: ParamHeaderDeclaration[] = [];
  const seen = new Map<string, string>();
  const active = new Set<object>();

  const unreachable = (node: unknown, location: string[]): void => {
    if (typeof node !== 'object' || node === null || active.has(node)) return;
    active.add(node);
    if (Array.isArray(node)) {
      for (let index = 0; index < node.length; index++)
        unreachable(node[index], [...location, String(index)]);
    } else {
      if (Object.hasOwn(node, X_MCP_HEADER)) {
        throw new TypeError(
          `x-mcp-header at ${pointer(location)} is not statically reachable: a declaring property must be reached from the schema root through "properties" keys only`,
        );
      }
      for (const [key, value] of Object.entries(node)) {
        if (DATA_KEYWORDS.has(key)) continue;
        if (SCHEMA_MAP_KEYWORDS.has(key) && isRecord(value)) {
          for (const [name, sub] of Object.entries(value)) unreachable(sub, [...location, key, name]);
        } else {
          unreachable(value, [...location, key]);
        }
      }
    }
    active.delete(node);
  };

  const reachable = (schema: Record<string, unknown>, path: string[], location: string[]): void => {
    if (active.has(schema)) return;
    active.add(schema);
    if (Object.hasOwn(schema, X_MCP_HEADER)) {
      if (path.length === 0) {
        throw new TypeError(
          'x-mcp-header on the schema root: it belongs on a property of the arguments object',
        );
      }
      declarations.push(declaration(schema, path, seen));
    }
    for (const [key, value] of Object.entries(schema)) {
      if (key === X_MCP_HEADER || DATA_KEYWORDS.has(key)) continue;
      if (key === 'properties' && isRecord(value)) {
        for (const [name, sub] of Object.entries(value)) {
          const subLocation = [...location, key, name];
          if (isRecord(sub)) reachable(sub, [...path, name], subLocation);
          else unreachable(sub, subLocation);
        }
      } else if (SCHEMA_MAP_KEYWORDS.has(key) && isRecord(value)) {
        for (const [name, sub] of Object.entries(value)) unreachable(sub, [...location, key, name]);
      } else {
        unreachable(value, [...location, key]);
      }
    }
    active.delete(schema);
  };

  reachable(inputSchema, [], []);
  return declarations;
}

function declaration(
  schema: Record<string, unknown>,
  path: string[],
  seen: Map<string, string>,
): ParamHeaderDeclaration {
  const property = JSON.stringify(path.join('.'));
  const name = schema[X_MCP_HEADER];
  if (typeof name !== 'string' || !TOKEN.test(name)) {
    throw new TypeError(
      `x-mcp-header of property ${property} must be a non-empty RFC 9110 token (letters, digits and !#$%&'*+-.^_\`|~), got ${JSON.stringify(name)}`,
    );
  }
  const type = schema.type;
  if (type !== 'string' && type !== 'integer' && type !== 'boolean') {
    throw new TypeError(
      `x-mcp-header ${JSON.stringify(name)} of property ${property} needs "type": "string", "integer" or "boolean", got ${JSON.stringify(type) ?? 'none'}`,
    );
  }
  const fieldName = `mcp-param-${name.toLowerCase()}`;
  const previous = seen.get(fieldName);
  if (previous !== undefined) {
    throw new TypeError(
      `x-mcp-header ${JSON.stringify(name)} of property ${property} duplicates the one of ${previous} (header names are case-insensitive)`,
    );
  }
  seen.set(fieldName, `property ${property} (${JSON.stringify(name)})`);
  return { path: Object.freeze([...path]), header: name, fieldName, type };
}

/** The argument at `path`, or `undefined` when a step is missing or not a plain object. */
function argumentAt(args: Readonly<Record<string, unknown>>, path: readonly string[]): unknown {
  let node: unknown = args;
  for (const key of path) {
    if (!isRecord(node) || !Object.hasOwn(node, key)) return undefined;
    node = node[key];
  }
  return node;
}

/** A decimal integer: optional minus, digits, optionally an all-zero fraction (`42.0`). */
const DECIMAL_INTEGER = /^-?\d+(?:\.0+)?$/;

/**
 * Checks the `Mcp-Param-{Name}` headers of one `tools/call` against its `arguments` (2026-07-28
 * Streamable HTTP, "Server Behavior for Custom Headers", "Value Encoding", "Server Validation"). For
 * each declaration, in order, whose argument is present and not `null`:
 *
 * - the header `Mcp-Param-{Name}` must be present (`missing`);
 * - it must decode ({@link decodeHeaderValue}; `invalid_encoding`);
 * - the decoded value must equal the argument's string form (`mismatch`): a string as-is, a boolean as
 *   `true`/`false`, a number as its decimal string. An `integer` declaration whose argument is a safe
 *   integer compares numerically when the header is a decimal integer, optionally with an all-zero
 *   fraction (`42.0` equals `42`; `4.2e1`, `+42` and `0x2a` do not).
 *
 * A `null` or absent argument means the header is not expected, and a header sent anyway is ignored.
 * An argument that is not a string, number or boolean (an object, an array, a non-finite number)
 * breaks the tool's schema and is left to arguments validation.
 *
 * @param declarations from {@link paramHeaderDeclarations} for the called tool.
 * @param args the request's `params.arguments`.
 * @returns the first problem found, or `undefined` when the headers agree with the arguments.
 */
export function checkParamHeaders(
  declarations: readonly ParamHeaderDeclaration[],
  args: Readonly<Record<string, unknown>> | undefined,
  header: HeaderReader,
): HeaderProblem | undefined {
  if (args === undefined) return undefined;
  for (const declared of declarations) {
    const value = argumentAt(args, declared.path);
    let expected: string;
    if (typeof value === 'string') expected = value;
    else if (typeof value === 'boolean') expected = value ? 'true' : 'false';
    else if (typeof value === 'number' && Number.isFinite(value)) expected = String(value);
    else continue;
    const raw = header(declared.fieldName);
    if (raw === undefined) return { header: `Mcp-Param-${declared.header}`, problem: 'missing', expected };
    const decoded = decodeHeaderValue(raw);
    if (decoded === undefined) {
      return { header: `Mcp-Param-${declared.header}`, problem: 'invalid_encoding', received: stripOws(raw) };
    }
    const equal =
      declared.type === 'integer' && Number.isSafeInteger(value) && DECIMAL_INTEGER.test(decoded)
        ? Number(decoded) === value
        : decoded === expected;
    if (!equal)
      return { header: `Mcp-Param-${declared.header}`, problem: 'mismatch', expected, received: decoded };
  }
  return undefined;
}
