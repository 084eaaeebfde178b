import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  describeIssue,
  describeIssues,
  ISSUE_LIMIT,
  issuePath,
  issuesOf,
  summarizeIssues,
} from '../../src/protocol/issues.js';
import { jsonRpcNotification } from '../../src/protocol/jsonrpc.js';

/** The error of a parse that must fail. */
function failure(schema: z.ZodType, value: unknown): z.ZodError {
  const parsed = schema.safeParse(value);
  if (parsed.success) throw new Error('expected the parse to fail');
  return parsed.error;
}

const point = z.object({ x: z.number(), y: z.number() });
const shape = z.strictObject({ point, tags: z.array(z.string()), when: z.string() });

describe('issuePath', () => {
  it('joins keys with dots, array indices included, and is empty at the root', () => {
    expect(issuePath(['params', 'name'])).toBe('params.name');
    expect(issuePath(['params', 'arguments', 'tags', 1, 'label'])).toBe('params.arguments.tags.1.label');
    expect(issuePath([])).toBe('');
  });

  it('writes a symbol key without calling anything of the key', () => {
    expect(issuePath(['a', Symbol('b')])).toBe('a.Symbol(b)');
  });

  it('cuts a long path (a client may choose the keys) to 120 characters and an ellipsis', () => {
    const text = issuePath(['params', 'arguments', 'k'.repeat(10_000)]);
    expect(text).toHaveLength(121);
    expect(text.startsWith('params.arguments.kkk')).toBe(true);
    expect(text.endsWith('…')).toBe(true);
    expect(issuePath(['k'.repeat(120)])).toBe('k'.repeat(120));
  });
});

describe('issuesOf', () => {
  it('lists each issue as its path and message', () => {
    expect(issuesOf(failure(point, { x: 1, y: 'two' }))).toEqual([
      { path: ['y'], message: 'Invalid input: expected number, received string' },
    ]);
  });

  it('keeps nested paths as arrays of keys, indices as numbers', () => {
    expect(issuesOf(failure(shape, { point: { x: 1 }, tags: ['a', 3], when: 'now' }))).toEqual([
      { path: ['point', 'y'], message: 'Invalid input: expected number, received undefined' },
      { path: ['tags', 1], message: 'Invalid input: expected string, received number' },
    ]);
  });

  it('gives an issue at the root an empty path', () => {
    expect(issuesOf(failure(point, 'a string'))).toEqual([
      { path: [], message: 'Invalid input: expected object, received string' },
    ]);
  });

  it('lists at most ten issues, or as many as asked', () => {
    const many = failure(
      z.array(z.string()),
      Array.from({ length: 25 }, (_, index) => index),
    );
    expect(issuesOf(many)).toHaveLength(ISSUE_LIMIT);
    expect(issuesOf(many, 3).map((issue) => issue.path)).toEqual([[0], [1], [2]]);
  });
});

describe('describeIssue and describeIssues', () => {
  it('writes an issue as path: message, and an issue at the root as its message alone', () => {
    expect(describeIssue({ path: ['point', 'y'], message: 'Required' })).toBe('point.y: Required');
    expect(describeIssue({ path: [], message: 'Expected an object' })).toBe('Expected an object');
  });

  it('writes one line per issue, nested paths with dots', () => {
    expect(describeIssues(failure(shape, { point: { x: 1 }, tags: 'a', when: 1 }))).toBe(
      [
        'point.y: Invalid input: expected number, received undefined',
        'tags: Invalid input: expected array, received string',
        'when: Invalid input: expected string, received number',
      ].join('\n'),
    );
  });

  it('writes root issues without a path, an unknown key included', () => {
    expect(describeIssues(failure(shape, 1))).toBe('Invalid input: expected object, received number');
    expect(describeIssues(failure(z.strictObject({}), { colour: 'red' }))).toBe('Unrecognized key: "colour"');
  });

  it('writes at most `limit` lines and says how many more there were', () => {
    const many = failure(
      z.array(z.string()),
      Array.from({ length: 25 }, (_, index) => index),
    );
    const lines = describeIssues(many).split('\n');
    expect(lines).toHaveLength(ISSUE_LIMIT + 1);
    expect(lines[0]).toBe('0: Invalid input: expected string, received number');
    expect(lines.at(-1)).toBe('(15 more)');
    expect(describeIssues(many, 3).split('\n')).toEqual([
      '0: Invalid input: expected string, received number',
      '1: Invalid input: expected string, received number',
      '2: Invalid input: expected string, received number',
      '(22 more)',
    ]);
  });

  it('keeps a client-chosen key short in a line', () => {
    const key = 'k'.repeat(10_000);
    const error = failure(z.record(z.string(), z.string()), { [key]: 1 });
    expect(describeIssues(error).length).toBeLessThan(300);
  });
});

describe('summarizeIssues', () => {
  it('writes the first issue on one line, and how many more there were', () => {
    expect(summarizeIssues(failure(point, { x: 1 }))).toBe(
      'y: Invalid input: expected number, received undefined',
    );
    expect(summarizeIssues(failure(point, {}))).toBe(
      'x: Invalid input: expected number, received undefined (and 1 more)',
    );
    expect(summarizeIssues(failure(point, null))).toBe('Invalid input: expected object, received null');
  });

  it('says "Invalid input" for an error without issues', () => {
    expect(summarizeIssues(new z.ZodError([]))).toBe('Invalid input');
  });
});

describe('jsonRpcNotification', () => {
  it('builds a notification, without a params key when there are none', () => {
    const params = { uri: 'file:///a' };
    const built = jsonRpcNotification('notifications/resources/updated', params);
    expect(built).toEqual({ jsonrpc: '2.0', method: 'notifications/resources/updated', params });
    expect(built.params).toBe(params);
    const bare = jsonRpcNotification('notifications/tools/list_changed');
    expect(bare).toEqual({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' });
    expect(Object.keys(bare)).toEqual(['jsonrpc', 'method']);
  });
});
