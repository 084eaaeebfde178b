/**
 * SEP-2243 header–body checks for 2026-07-28 requests (Streamable HTTP, "Standard Request Headers",
 * "Custom Headers from Tool Parameters", "Value Encoding", "Case Sensitivity", "Server Validation"),
 * including every case of the conformance scenarios `http-header-validation` and
 * `http-custom-header-server-validation`.
 */
import { describe, expect, it } from 'vitest';
import {
  checkParamHeaders,
  checkStandardHeaders,
  decodeHeaderValue,
  type HeaderReader,
  paramHeaderDeclarations,
} from '../../src/protocol/mcpHeaders.js';

const VERSION = '2026-07-28';

/** A reader over raw request headers that folds names to lower case, as node:http and fetch do. */
function headers(raw: Record<string, string>): HeaderReader {
  const folded = new Map(Object.entries(raw).map(([name, value]) => [name.toLowerCase(), value]));
  return (name) => {
    expect(name).toBe(name.toLowerCase());
    return folded.get(name);
  };
}

const b64 = (text: string): string => `=?base64?${Buffer.from(text, 'utf8').toString('base64')}?=`;

describe('decodeHeaderValue', () => {
  it('returns a plain value as it is', () => {
    expect(decodeHeaderValue('us-west1')).toBe('us-west1');
    expect(decodeHeaderValue('a b\tc')).toBe('a b\tc');
  });

  it('strips optional whitespace (SP, HTAB) around the value, and nothing else', () => {
    expect(decodeHeaderValue('  us-west1 \t')).toBe('us-west1');
    expect(decodeHeaderValue(' \t=?base64?SGVsbG8=?=  ')).toBe('Hello');
    expect(decodeHeaderValue('a  b')).toBe('a  b');
  });

  it('decodes the examples of the specification', () => {
    expect(decodeHeaderValue('=?base64?SGVsbG8sIOS4lueVjA==?=')).toBe('Hello, 世界');
    expect(decodeHeaderValue('=?base64?IHBhZGRlZCA=?=')).toBe(' padded ');
    expect(decodeHeaderValue('=?base64?bGluZTEKbGluZTI=?=')).toBe('line1\nline2');
    expect(decodeHeaderValue('=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?=')).toBe('=?base64?literal?=');
  });

  it('decodes each padding length', () => {
    expect(decodeHeaderValue('=?base64?YQ==?=')).toBe('a');
    expect(decodeHeaderValue('=?base64?YWI=?=')).toBe('ab');
    expect(decodeHeaderValue('=?base64?YWJj?=')).toBe('abc');
  });

  it('decodes an empty payload to the empty string (how a client sends an empty value)', () => {
    expect(decodeHeaderValue('=?base64??=')).toBe('');
  });

  it('refuses a payload with missing or extra padding', () => {
    expect(decodeHeaderValue('=?base64?SGVsbG8?=')).toBeUndefined();
    expect(decodeHeaderValue('=?base64?YQ?=')).toBeUndefined();
    expect(decodeHeaderValue('=?base64?YQ=?=')).toBeUndefined();
    expect(decodeHeaderValue('=?base64?YWJj=?=')).toBeUndefined();
    expect(decodeHeaderValue('=?base64?YQ===?=')).toBeUndefined();
    expect(decodeHeaderValue('=?base64?Y?=')).toBeUndefined();
  });

  it('refuses a payload with characters outside the base64 alphabet', () => {
    expect(decodeHeaderValue('=?base64?SGVs!!!bG8=?=')).toBeUndefined();
    expect(decodeHeaderValue('=?base64?SGVs bG8=?=')).toBeUndefined();
    // base64url is a different alphabet.
    expect(decodeHeaderValue('=?base64?-_-_?=')).toBeUndefined();
    expect(decodeHeaderValue('=?base64?YQ==YQ==?=')).toBeUndefined();
  });

  it('refuses a payload that is not UTF-8', () => {
    expect(decodeHeaderValue('=?base64?/w==?=')).toBeUndefined(); // 0xFF
    expect(decodeHeaderValue('=?base64?wKA=?=')).toBeUndefined(); // overlong 0xC0 0xA0
    expect(decodeHeaderValue('=?base64?4oI=?=')).toBeUndefined(); // truncated 3-byte sequence
  });

  it('keeps a leading byte-order mark, so it cannot vanish before the comparison', () => {
    expect(decodeHeaderValue(b64('\uFEFFA'))).toBe('\uFEFFA');
  });

  it('takes a value with only the prefix or only the suffix as a literal', () => {
    expect(decodeHeaderValue('=?base64?SGVsbG8=')).toBe('=?base64?SGVsbG8=');
    expect(decodeHeaderValue('=?base64?')).toBe('=?base64?');
    expect(decodeHeaderValue('SGVsbG8=?=')).toBe('SGVsbG8=?=');
    expect(decodeHeaderValue('?=')).toBe('?=');
  });

  it('takes markers in another case as a literal (they are case-sensitive)', () => {
    expect(decodeHeaderValue('=?BASE64?SGVsbG8=?=')).toBe('=?BASE64?SGVsbG8=?=');
    expect(decodeHeaderValue('=?Base64?SGVsbG8=?=')).toBe('=?Base64?SGVsbG8=?=');
  });

  it('refuses markers that overlap, with no room for a payload', () => {
    expect(decodeHeaderValue('=?base64?=')).toBeUndefined();
  });

  it('refuses a literal with a character outside HTAB, SP and visible ASCII', () => {
    expect(decodeHeaderValue('caf\u00e9')).toBeUndefined();
    expect(decodeHeaderValue('a\u0000b')).toBeUndefined();
    expect(decodeHeaderValue('a\nb')).toBeUndefined();
    expect(decodeHeaderValue('a\u007fb')).toBeUndefined();
  });
});

describe('checkStandardHeaders', () => {
  const listHeaders = { 'MCP-Protocol-Version': VERSION, 'Mcp-Method': 'tools/list' };
  const callParams = { name: 'test_simple_text', arguments: {} };
  const callHeaders = {
    'MCP-Protocol-Version': VERSION,
    'Mcp-Method': 'tools/call',
    'Mcp-Name': 'test_simple_text',
  };

  it('accepts headers that agree with the body', () => {
    expect(checkStandardHeaders('tools/list', {}, VERSION, headers(listHeaders))).toBeUndefined();
    expect(checkStandardHeaders('tools/call', callParams, VERSION, headers(callHeaders))).toBeUndefined();
  });

  describe('http-header-validation: rejects', () => {
    it('1. Mcp-Method naming another method', () => {
      const problem = checkStandardHeaders(
        'tools/list',
        {},
        VERSION,
        headers({ ...listHeaders, 'Mcp-Method': 'prompts/list' }),
      );
      expect(problem).toEqual({
        header: 'Mcp-Method',
        problem: 'mismatch',
        expected: 'tools/list',
        received: 'prompts/list',
      });
    });

    it('2. no Mcp-Method', () => {
      const problem = checkStandardHeaders(
        'tools/list',
        {},
        VERSION,
        headers({ 'MCP-Protocol-Version': VERSION }),
      );
      expect(problem).toEqual({ header: 'Mcp-Method', problem: 'missing', expected: 'tools/list' });
    });

    it('3. Mcp-Name naming another tool', () => {
      const problem = checkStandardHeaders(
        'tools/call',
        callParams,
        VERSION,
        headers({ ...callHeaders, 'Mcp-Name': 'wrong_tool_name' }),
      );
      expect(problem).toEqual({
        header: 'Mcp-Name',
        problem: 'mismatch',
        expected: 'test_simple_text',
        received: 'wrong_tool_name',
      });
    });

    it('4. no Mcp-Name', () => {
      const problem = checkStandardHeaders(
        'tools/call',
        callParams,
        VERSION,
        headers({ 'MCP-Protocol-Version': VERSION, 'Mcp-Method': 'tools/call' }),
      );
      expect(problem).toEqual({ header: 'Mcp-Name', problem: 'missing', expected: 'test_simple_text' });
    });

    it('5. Mcp-Method in another case: values are case-sensitive', () => {
      const problem = checkStandardHeaders(
        'tools/list',
        {},
        VERSION,
        headers({ ...listHeaders, 'Mcp-Method': 'TOOLS/LIST' }),
      );
      expect(problem).toMatchObject({ header: 'Mcp-Method', problem: 'mismatch', received: 'TOOLS/LIST' });
      expect(
        checkStandardHeaders(
          'tools/call',
          callParams,
          VERSION,
          headers({ ...callHeaders, 'Mcp-Name': 'TEST_SIMPLE_TEXT' }),
        ),
      ).toMatchObject({ header: 'Mcp-Name', problem: 'mismatch' });
    });
  });

  describe('http-header-validation: accepts', () => {
    it('Mcp-Name with whitespace around it', () => {
      const reader = headers({ ...callHeaders, 'Mcp-Name': '  test_simple_text  ' });
      expect(checkStandardHeaders('tools/call', callParams, VERSION, reader)).toBeUndefined();
    });

    it('header names in any case', () => {
      for (const name of ['mcp-method', 'MCP-METHOD', 'mCp-MeThOd']) {
        const reader = headers({ 'mcp-protocol-version': VERSION, [name]: 'tools/list' });
        expect(checkStandardHeaders('tools/list', {}, VERSION, reader)).toBeUndefined();
      }
      const upper = headers({
        'MCP-PROTOCOL-VERSION': VERSION,
        'MCP-METHOD': 'tools/call',
        'MCP-NAME': 'test_simple_text',
      });
      expect(checkStandardHeaders('tools/call', callParams, VERSION, upper)).toBeUndefined();
    });
  });

  it('strips whitespace around MCP-Protocol-Version and Mcp-Method too', () => {
    const reader = headers({ 'MCP-Protocol-Version': `\t${VERSION} `, 'Mcp-Method': ' tools/list\t' });
    expect(checkStandardHeaders('tools/list', {}, VERSION, reader)).toBeUndefined();
  });

  it('requires MCP-Protocol-Version, and checks it first', () => {
    expect(checkStandardHeaders('tools/list', {}, VERSION, headers({}))).toEqual({
      header: 'MCP-Protocol-Version',
      problem: 'missing',
      expected: VERSION,
    });
  });

  it('requires MCP-Protocol-Version to equal the envelope version', () => {
    const reader = headers({ ...listHeaders, 'MCP-Protocol-Version': '2025-11-25' });
    expect(checkStandardHeaders('tools/list', {}, VERSION, reader)).toEqual({
      header: 'MCP-Protocol-Version',
      problem: 'mismatch',
      expected: VERSION,
      received: '2025-11-25',
    });
  });

  it('reports the first problem in the order version, method, name', () => {
    const none = headers({});
    expect(checkStandardHeaders('tools/call', callParams, VERSION, none)?.header).toBe(
      'MCP-Protocol-Version',
    );
    const noMethod = headers({ 'MCP-Protocol-Version': VERSION, 'Mcp-Name': 'other' });
    expect(checkStandardHeaders('tools/call', callParams, VERSION, noMethod)?.header).toBe('Mcp-Method');
  });

  it('never decodes a sentinel in Mcp-Method', () => {
    const reader = headers({ ...listHeaders, 'Mcp-Method': b64('tools/list') });
    expect(checkStandardHeaders('tools/list', {}, VERSION, reader)).toMatchObject({
      header: 'Mcp-Method',
      problem: 'mismatch',
    });
  });

  it('takes Mcp-Name from params.uri for resources/read and from params.taskId for tasks', () => {
    const uri = 'file:///projects/myapp/config.json';
    const read = { 'MCP-Protocol-Version': VERSION, 'Mcp-Method': 'resources/read' };
    expect(
      checkStandardHeaders('resources/read', { uri }, VERSION, headers({ ...read, 'Mcp-Name': uri })),
    ).toBeUndefined();
    expect(checkStandardHeaders('resources/read', { uri }, VERSION, headers(read))).toEqual({
      header: 'Mcp-Name',
      problem: 'missing',
      expected: uri,
    });
    expect(
      checkStandardHeaders(
        'resources/read',
        { uri, name: 'x' },
        VERSION,
        headers({ ...read, 'Mcp-Name': 'x' }),
      ),
    ).toMatchObject({ problem: 'mismatch', expected: uri });
    for (const method of ['tasks/get', 'tasks/update', 'tasks/cancel']) {
      const base = { 'MCP-Protocol-Version': VERSION, 'Mcp-Method': method };
      expect(
        checkStandardHeaders(method, { taskId: 't-1' }, VERSION, headers({ ...base, 'Mcp-Name': 't-1' })),
      ).toBe(undefined);
      expect(checkStandardHeaders(method, { taskId: 't-1' }, VERSION, headers(base))).toMatchObject({
        header: 'Mcp-Name',
        problem: 'missing',
        expected: 't-1',
      });
    }
    const get = { 'MCP-Protocol-Version': VERSION, 'Mcp-Method': 'prompts/get' };
    expect(checkStandardHeaders('prompts/get', { name: 'greet' }, VERSION, headers(get))).toMatchObject({
      header: 'Mcp-Name',
      problem: 'missing',
    });
  });

  it('does not require Mcp-Name for other methods, and ignores one sent anyway', () => {
    const reader = headers({ ...listHeaders, 'Mcp-Name': 'anything' });
    expect(checkStandardHeaders('tools/list', { name: 'x' }, VERSION, reader)).toBeUndefined();
  });

  it('decodes a sentinel in Mcp-Name before comparing', () => {
    const name = 'outil_été';
    const reader = headers({ ...callHeaders, 'Mcp-Name': b64(name) });
    expect(checkStandardHeaders('tools/call', { name }, VERSION, reader)).toBeUndefined();
    const wrong = headers({ ...callHeaders, 'Mcp-Name': b64('other') });
    expect(checkStandardHeaders('tools/call', { name }, VERSION, wrong)).toEqual({
      header: 'Mcp-Name',
      problem: 'mismatch',
      expected: name,
      received: 'other',
    });
  });

  it('refuses an invalid sentinel in Mcp-Name', () => {
    const reader = headers({ ...callHeaders, 'Mcp-Name': ' =?base64?dGVzdA?= ' });
    expect(checkStandardHeaders('tools/call', callParams, VERSION, reader)).toEqual({
      header: 'Mcp-Name',
      problem: 'invalid_encoding',
      received: '=?base64?dGVzdA?=',
    });
  });

  it('leaves a body without the Mcp-Name source field to params validation', () => {
    const noName = headers({ 'MCP-Protocol-Version': VERSION, 'Mcp-Method': 'tools/call' });
    expect(checkStandardHeaders('tools/call', {}, VERSION, noName)).toBeUndefined();
    expect(checkStandardHeaders('tools/call', { name: 42 }, VERSION, noName)).toBeUndefined();
    expect(checkStandardHeaders('tools/call', {}, VERSION, headers(callHeaders))).toBeUndefined();
    // An invalid header is refused even then.
    const bad = headers({ ...callHeaders, 'Mcp-Name': '=?base64?!?=' });
    expect(checkStandardHeaders('tools/call', {}, VERSION, bad)).toMatchObject({
      problem: 'invalid_encoding',
    });
  });

  it('does not take a method name inherited from Object.prototype as a Mcp-Name method', () => {
    const reader = headers({
      'MCP-Protocol-Version': VERSION,
      'Mcp-Method': 'constructor',
      'Mcp-Name': '=?base64?!?=',
    });
    expect(checkStandardHeaders('constructor', { name: 'x' }, VERSION, reader)).toBeUndefined();
  });
});

describe('paramHeaderDeclarations', () => {
  it('finds the declarations of the conformance fixture', () => {
    const declarations = paramHeaderDeclarations({
      type: 'object',
      properties: { region: { type: 'string', 'x-mcp-header': 'Region' }, query: { type: 'string' } },
      required: ['region'],
    });
    expect(declarations).toEqual([
      { path: ['region'], header: 'Region', fieldName: 'mcp-param-region', type: 'string' },
    ]);
  });

  it('finds integer, boolean and nested declarations, in schema order', () => {
    const declarations = paramHeaderDeclarations({
      type: 'object',
      properties: {
        count: { type: 'integer', 'x-mcp-header': 'Count' },
        target: {
          type: 'object',
          properties: {
            zone: { type: 'object', properties: { id: { type: 'string', 'x-mcp-header': 'Zone-ID' } } },
          },
        },
        dryRun: { type: 'boolean', 'x-mcp-header': 'Dry_Run' },
      },
    });
    expect(declarations).toEqual([
      { path: ['count'], header: 'Count', fieldName: 'mcp-param-count', type: 'integer' },
      { path: ['target', 'zone', 'id'], header: 'Zone-ID', fieldName: 'mcp-param-zone-id', type: 'string' },
      { path: ['dryRun'], header: 'Dry_Run', fieldName: 'mcp-param-dry_run', type: 'boolean' },
    ]);
  });

  it('finds none in schemas without declarations, or that are not objects', () => {
    expect(paramHeaderDeclarations({ type: 'object', properties: { a: { type: 'string' } } })).toEqual([]);
    expect(paramHeaderDeclarations({ type: 'object', additionalProperties: false })).toEqual([]);
    expect(paramHeaderDeclarations(undefined)).toEqual([]);
    expect(paramHeaderDeclarations(true)).toEqual([]);
  });

  it('accepts the json-schema-2020-12 fixture schema (keywords everywhere, no declarations)', () => {
    const schema = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      $defs: {
        address: {
          $anchor: 'addressDef',
          type: 'object',
          properties: { street: { type: 'string' }, city: { type: 'string' } },
        },
      },
      properties: {
        name: { type: 'string', 'x-mcp-header': 'Name' },
        address: { $ref: '#/$defs/address' },
        contactMethod: { type: 'string', enum: ['phone', 'email'] },
      },
      allOf: [{ anyOf: [{ required: ['phone'] }, { required: ['email'] }] }],
      if: { properties: { contactMethod: { const: 'phone' } }, required: ['contactMethod'] },
      // biome-ignore lint/suspicious/noThenProperty: JSON Schema's conditional keyword
      then: { required: ['phone'] },
      else: { required: ['email'] },
      additionalProperties: false,
    };
    expect(paramHeaderDeclarations(schema).map((d) => d.header)).toEqual(['Name']);
  });

  it('accepts an RFC 9110 token with every tchar punctuation', () => {
    const header = "A!#$%&'*+-.^_`|~9";
    expect(
      paramHeaderDeclarations({ properties: { a: { type: 'string', 'x-mcp-header': header } } })[0]?.header,
    ).toBe(header);
  });

  it('accepts a property named x-mcp-header, and the key inside instance data', () => {
    const schema = {
      type: 'object',
      properties: {
        'x-mcp-header': { type: 'string' },
        settings: {
          type: 'object',
          default: { 'x-mcp-header': 'Nope' },
          examples: [{ 'x-mcp-header': 'Nope' }],
          const: { 'x-mcp-header': 'Nope' },
          enum: [{ 'x-mcp-header': 'Nope' }],
        },
      },
    };
    expect(paramHeaderDeclarations(schema)).toEqual([]);
  });

  it('accepts a subschema named x-mcp-header under a keyword that maps names to subschemas', () => {
    const schema = {
      type: 'object',
      $defs: { 'x-mcp-header': { type: 'string' } },
      properties: {
        rows: {
          type: 'array',
          items: { type: 'object', properties: { 'x-mcp-header': { type: 'string' } } },
        },
      },
      patternProperties: { 'x-mcp-header': { type: 'string' } },
    };
    expect(paramHeaderDeclarations(schema)).toEqual([]);
  });

  describe('throws TypeError for a declaration that is not statically reachable', () => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
      [
        'under items',
        { properties: { tags: { type: 'array', items: { type: 'string', 'x-mcp-header': 'Tag' } } } },
        '/properties/tags/items',
      ],
      [
        'under prefixItems',
        { properties: { pair: { type: 'array', prefixItems: [{ type: 'string', 'x-mcp-header': 'P' }] } } },
        '/properties/pair/prefixItems/0',
      ],
      [
        'under a property of an items schema',
        {
          properties: {
            rows: {
              type: 'array',
              items: { type: 'object', properties: { id: { type: 'string', 'x-mcp-header': 'Row' } } },
            },
          },
        },
        '/properties/rows/items/properties/id',
      ],
      [
        'under anyOf',
        { anyOf: [{ properties: { a: { type: 'string', 'x-mcp-header': 'A' } } }] },
        '/anyOf/0/properties/a',
      ],
      [
        'under oneOf',
        { properties: { a: { oneOf: [{ type: 'string', 'x-mcp-header': 'A' }] } } },
        '/properties/a/oneOf/0',
      ],
      ['under allOf', { allOf: [{ type: 'string', 'x-mcp-header': 'A' }] }, '/allOf/0'],
      [
        'under not',
        { properties: { a: { not: { type: 'string', 'x-mcp-header': 'A' } } } },
        '/properties/a/not',
      ],
      [
        'under if',
        { if: { properties: { a: { type: 'string', 'x-mcp-header': 'A' } } } },
        '/if/properties/a',
      ],
      [
        'under then',
        // biome-ignore lint/suspicious/noThenProperty: JSON Schema's conditional keyword
        { then: { properties: { a: { type: 'string', 'x-mcp-header': 'A' } } } },
        '/then/properties/a',
      ],
      [
        'under else',
        { else: { properties: { a: { type: 'string', 'x-mcp-header': 'A' } } } },
        '/else/properties/a',
      ],
      ['under an unknown keyword', { 'x-vendor': { type: 'string', 'x-mcp-header': 'V' } }, '/x-vendor'],
      ['under $defs', { $defs: { region: { type: 'string', 'x-mcp-header': 'Region' } } }, '/$defs/region'],
      [
        'under definitions',
        { definitions: { region: { type: 'string', 'x-mcp-header': 'Region' } } },
        '/definitions/region',
      ],
      [
        'under additionalProperties',
        { type: 'object', additionalProperties: { type: 'string', 'x-mcp-header': 'Extra' } },
        '/additionalProperties',
      ],
      [
        'under patternProperties',
        { patternProperties: { '^r': { type: 'string', 'x-mcp-header': 'R' } } },
        '/patternProperties/^r',
      ],
      [
        'under dependentSchemas',
        { dependentSchemas: { a: { properties: { b: { type: 'string', 'x-mcp-header': 'B' } } } } },
        '/dependentSchemas/a/properties/b',
      ],
      ['on the schema root', { type: 'object', 'x-mcp-header': 'Root' }, 'root'],
    ];
    for (const [label, schema, location] of cases) {
      it(label, () => {
        expect(() => paramHeaderDeclarations(schema)).toThrow(TypeError);
        expect(() => paramHeaderDeclarations(schema)).toThrow(location);
      });
    }
  });

  it('throws TypeError naming the property for a name that is not an RFC 9110 token', () => {
    for (const name of ['', 'Re gion', 'Region:', 'Re\r\ngion', 'Région', 'a/b', 'a@b', '(x)', 'a"b']) {
      const schema = {
        properties: { nested: { properties: { region: { type: 'string', 'x-mcp-header': name } } } },
      };
      expect(() => paramHeaderDeclarations(schema)).toThrow(TypeError);
      expect(() => paramHeaderDeclarations(schema)).toThrow('"nested.region"');
    }
    for (const name of [42, null, true, ['Region']]) {
      const schema = { properties: { region: { type: 'string', 'x-mcp-header': name } } };
      expect(() => paramHeaderDeclarations(schema)).toThrow(TypeError);
    }
  });

  it('throws TypeError for names that differ only in case', () => {
    const schema = {
      properties: {
        region: { type: 'string', 'x-mcp-header': 'Region' },
        other: { type: 'object', properties: { zone: { type: 'string', 'x-mcp-header': 'REGION' } } },
      },
    };
    expect(() => paramHeaderDeclarations(schema)).toThrow(TypeError);
    expect(() => paramHeaderDeclarations(schema)).toThrow(/"other\.zone".*"region"/);
  });

  it('throws TypeError for a property that is not a string, integer or boolean', () => {
    for (const type of ['object', 'array', 'number', 'null', undefined, ['string', 'null'], 'String']) {
      const schema = { properties: { region: { type, 'x-mcp-header': 'Region' } } };
      expect(() => paramHeaderDeclarations(schema)).toThrow(TypeError);
      expect(() => paramHeaderDeclarations(schema)).toThrow('"region"');
    }
  });

  it('stops on a cyclic schema object instead of overflowing the stack', () => {
    const node: Record<string, unknown> = { type: 'object' };
    node.properties = { self: node, region: { type: 'string', 'x-mcp-header': 'Region' } };
    expect(paramHeaderDeclarations(node).map((d) => d.path)).toEqual([['region']]);
  });
});

describe('checkParamHeaders', () => {
  const fixture = paramHeaderDeclarations({
    type: 'object',
    properties: { region: { type: 'string', 'x-mcp-header': 'Region' } },
    required: ['region'],
  });
  const check = (region: unknown, raw: Record<string, string>) =>
    checkParamHeaders(fixture, { region }, headers(raw));

  describe('http-custom-header-server-validation', () => {
    it('1. accepts a base64 sentinel that decodes to the argument', () => {
      expect(check('Hello', { 'Mcp-Param-Region': '=?base64?SGVsbG8=?=' })).toBeUndefined();
    });

    it('2. rejects a sentinel with bad padding', () => {
      expect(check('Hello', { 'Mcp-Param-Region': '=?base64?SGVsbG8?=' })).toEqual({
        header: 'Mcp-Param-Region',
        problem: 'invalid_encoding',
        received: '=?base64?SGVsbG8?=',
      });
    });

    it('3. rejects a sentinel with characters outside base64', () => {
      expect(check('Hello', { 'Mcp-Param-Region': '=?base64?SGVs!!!bG8=?=' })).toMatchObject({
        header: 'Mcp-Param-Region',
        problem: 'invalid_encoding',
      });
    });

    it('4. accepts a base64-looking value without the prefix as a literal', () => {
      expect(check('SGVsbG8=', { 'Mcp-Param-Region': 'SGVsbG8=' })).toBeUndefined();
      expect(check('Hello', { 'Mcp-Param-Region': 'SGVsbG8=' })).toMatchObject({ problem: 'mismatch' });
    });

    it('5. accepts a value with the prefix but no suffix as a literal', () => {
      expect(check('=?base64?SGVsbG8=', { 'Mcp-Param-Region': '=?base64?SGVsbG8=' })).toBeUndefined();
    });

    it('6. rejects a missing header when the argument is present', () => {
      expect(check('test-value', {})).toEqual({
        header: 'Mcp-Param-Region',
        problem: 'missing',
        expected: 'test-value',
      });
    });
  });

  it('accepts a matching literal, in any header-name case, with whitespace around it', () => {
    expect(check('us-west1', { 'Mcp-Param-Region': 'us-west1' })).toBeUndefined();
    expect(check('us-west1', { 'MCP-PARAM-REGION': ' us-west1\t' })).toBeUndefined();
    expect(check('us-west1', { 'mcp-param-region': 'us-west1' })).toBeUndefined();
  });

  it('rejects a literal that differs, including only in case', () => {
    expect(check('us-west1', { 'Mcp-Param-Region': 'us-east1' })).toEqual({
      header: 'Mcp-Param-Region',
      problem: 'mismatch',
      expected: 'us-west1',
      received: 'us-east1',
    });
    expect(check('us-west1', { 'Mcp-Param-Region': 'US-WEST1' })).toMatchObject({ problem: 'mismatch' });
  });

  it('compares an argument with whitespace around it against its encoded form only', () => {
    expect(check(' padded ', { 'Mcp-Param-Region': '=?base64?IHBhZGRlZCA=?=' })).toBeUndefined();
    // The plain form loses its whitespace to the OWS strip, so it cannot match.
    expect(check(' padded ', { 'Mcp-Param-Region': ' padded ' })).toMatchObject({ problem: 'mismatch' });
  });

  it('accepts an empty argument sent as an empty sentinel', () => {
    expect(check('', { 'Mcp-Param-Region': '=?base64??=' })).toBeUndefined();
    expect(check('', {})).toMatchObject({ problem: 'missing', expected: '' });
  });

  it('takes an uppercase prefix as a literal', () => {
    expect(check('Hello', { 'Mcp-Param-Region': '=?BASE64?SGVsbG8=?=' })).toMatchObject({
      problem: 'mismatch',
    });
    expect(check('=?BASE64?SGVsbG8=?=', { 'Mcp-Param-Region': '=?BASE64?SGVsbG8=?=' })).toBeUndefined();
  });

  it('takes a suffix without the prefix as a literal', () => {
    expect(check('SGVsbG8=?=', { 'Mcp-Param-Region': 'SGVsbG8=?=' })).toBeUndefined();
  });

  it('rejects an argument that looks like a sentinel when it is sent without encoding', () => {
    const literal = '=?base64?SGVsbG8=?=';
    expect(check(literal, { 'Mcp-Param-Region': literal })).toMatchObject({
      problem: 'mismatch',
      received: 'Hello',
    });
    expect(check(literal, { 'Mcp-Param-Region': b64(literal) })).toBeUndefined();
  });

  it('rejects a sentinel that is not UTF-8, and a raw non-ASCII value', () => {
    expect(check('\uFFFD', { 'Mcp-Param-Region': '=?base64?/w==?=' })).toMatchObject({
      problem: 'invalid_encoding',
    });
    expect(check('Hello, 世界', { 'Mcp-Param-Region': 'Hello, 世界' })).toMatchObject({
      problem: 'invalid_encoding',
    });
    expect(check('Hello, 世界', { 'Mcp-Param-Region': '=?base64?SGVsbG8sIOS4lueVjA==?=' })).toBeUndefined();
  });

  it('does not expect the header for a null or absent argument, and ignores one sent anyway', () => {
    expect(checkParamHeaders(fixture, { region: null }, headers({}))).toBeUndefined();
    expect(checkParamHeaders(fixture, {}, headers({}))).toBeUndefined();
    expect(checkParamHeaders(fixture, undefined, headers({}))).toBeUndefined();
    expect(
      checkParamHeaders(fixture, { region: null }, headers({ 'Mcp-Param-Region': 'x' })),
    ).toBeUndefined();
    expect(checkParamHeaders(fixture, {}, headers({ 'Mcp-Param-Region': '=?base64?!?=' }))).toBeUndefined();
  });

  it('reads own properties of the arguments only', () => {
    const inherited = Object.create({ region: 'us-west1' }) as Record<string, unknown>;
    expect(checkParamHeaders(fixture, inherited, headers({}))).toBeUndefined();
  });

  it('leaves an argument that is not a primitive to arguments validation', () => {
    for (const region of [{ a: 1 }, ['a'], Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(checkParamHeaders(fixture, { region }, headers({}))).toBeUndefined();
    }
  });

  describe('integers and booleans', () => {
    const declarations = paramHeaderDeclarations({
      type: 'object',
      properties: {
        count: { type: 'integer', 'x-mcp-header': 'Count' },
        verbose: { type: 'boolean', 'x-mcp-header': 'Verbose' },
      },
    });
    const run = (args: Record<string, unknown>, raw: Record<string, string>) =>
      checkParamHeaders(declarations, args, headers(raw));

    it('sends an integer as its decimal string', () => {
      expect(run({ count: 42 }, { 'Mcp-Param-Count': '42' })).toBeUndefined();
      expect(run({ count: -7 }, { 'Mcp-Param-Count': '-7' })).toBeUndefined();
      expect(run({ count: 0 }, { 'Mcp-Param-Count': '0' })).toBeUndefined();
      expect(run({ count: 42 }, {})).toEqual({
        header: 'Mcp-Param-Count',
        problem: 'missing',
        expected: '42',
      });
      expect(run({ count: 0 }, {})).toMatchObject({ problem: 'missing', expected: '0' });
      expect(run({ count: 42 }, { 'Mcp-Param-Count': '43' })).toEqual({
        header: 'Mcp-Param-Count',
        problem: 'mismatch',
        expected: '42',
        received: '43',
      });
    });

    it('compares integers numerically when the header is a decimal integer', () => {
      expect(run({ count: 42 }, { 'Mcp-Param-Count': '42.0' })).toBeUndefined();
      expect(run({ count: 42 }, { 'Mcp-Param-Count': '042' })).toBeUndefined();
      expect(run({ count: 0 }, { 'Mcp-Param-Count': '-0' })).toBeUndefined();
      expect(run({ count: 2 ** 53 - 1 }, { 'Mcp-Param-Count': '9007199254740991' })).toBeUndefined();
      expect(run({ count: 2 ** 53 - 1 }, { 'Mcp-Param-Count': '9007199254740993' })).toMatchObject({
        problem: 'mismatch',
      });
      for (const other of ['42.5', '4.2e1', '+42', '0x2a', '42.', '.42e2', 'forty-two', '']) {
        expect(run({ count: 42 }, { 'Mcp-Param-Count': other })).toMatchObject({ problem: 'mismatch' });
      }
    });

    it('sends a boolean as true or false, case-sensitively', () => {
      expect(run({ verbose: true }, { 'Mcp-Param-Verbose': 'true' })).toBeUndefined();
      expect(run({ verbose: false }, { 'Mcp-Param-Verbose': 'false' })).toBeUndefined();
      expect(run({ verbose: false }, {})).toMatchObject({ problem: 'missing', expected: 'false' });
      expect(run({ verbose: true }, { 'Mcp-Param-Verbose': 'TRUE' })).toMatchObject({ problem: 'mismatch' });
      expect(run({ verbose: true }, { 'Mcp-Param-Verbose': '1' })).toMatchObject({ problem: 'mismatch' });
      expect(run({ verbose: false }, { 'Mcp-Param-Verbose': 'true' })).toMatchObject({ problem: 'mismatch' });
    });

    it('compares a number on a string declaration as text', () => {
      expect(check(42, { 'Mcp-Param-Region': '42' })).toBeUndefined();
      expect(check(42, { 'Mcp-Param-Region': '42.0' })).toMatchObject({ problem: 'mismatch' });
    });

    it('reports the first problem in declaration order', () => {
      expect(run({ count: 1, verbose: true }, {})?.header).toBe('Mcp-Param-Count');
      expect(run({ count: 1, verbose: true }, { 'Mcp-Param-Count': '1' })?.header).toBe('Mcp-Param-Verbose');
      expect(run({ verbose: true }, { 'Mcp-Param-Verbose': 'true' })).toBeUndefined();
    });
  });

  it('reads a nested argument through its properties path', () => {
    const declarations = paramHeaderDeclarations({
      type: 'object',
      properties: {
        target: { type: 'object', properties: { zone: { type: 'string', 'x-mcp-header': 'Zone' } } },
      },
    });
    const run = (args: Record<string, unknown>, raw: Record<string, string>) =>
      checkParamHeaders(declarations, args, headers(raw));
    expect(run({ target: { zone: 'eu' } }, { 'Mcp-Param-Zone': 'eu' })).toBeUndefined();
    expect(run({ target: { zone: 'eu' } }, {})).toMatchObject({
      header: 'Mcp-Param-Zone',
      problem: 'missing',
    });
    expect(run({ target: { zone: 'eu' } }, { 'Mcp-Param-Zone': 'us' })).toMatchObject({
      problem: 'mismatch',
    });
    // Absent or null anywhere along the path: no header expected.
    expect(run({ target: {} }, {})).toBeUndefined();
    expect(run({ target: null }, {})).toBeUndefined();
    expect(run({ target: { zone: null } }, {})).toBeUndefined();
    expect(run({}, {})).toBeUndefined();
    // A top-level argument of the same name is not the nested one.
    expect(run({ zone: 'eu' }, {})).toBeUndefined();
    // An array on the path is not the object the schema names.
    expect(run({ target: [{ zone: 'eu' }] }, {})).toBeUndefined();
    const indexed = paramHeaderDeclarations({
      properties: {
        list: { type: 'object', properties: { '0': { type: 'string', 'x-mcp-header': 'First' } } },
      },
    });
    expect(checkParamHeaders(indexed, { list: { '0': 'a' } }, headers({}))).toMatchObject({
      problem: 'missing',
    });
    expect(checkParamHeaders(indexed, { list: ['a'] }, headers({}))).toBeUndefined();
  });
});
