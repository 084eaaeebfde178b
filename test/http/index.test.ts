/**
 * The public door of `mcp-session-runtime/http`: an export added by accident fails here.
 */
import { expect, it } from 'vitest';
import * as http from '../../src/http/index.js';

it('exports exactly the HTTP transport API', () => {
  expect(Object.keys(http).sort()).toEqual(['createFetchHandler', 'createNodeHandler']);
});
