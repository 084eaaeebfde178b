/**
 * The public door of `mcp-session-runtime/stdio`: an export added by accident fails here.
 */
import { expect, it } from 'vitest';
import * as stdio from '../../src/stdio/index.js';

it('exports exactly the stdio transport API', () => {
  expect(Object.keys(stdio).sort()).toEqual(['serveStdio']);
});
