import { describe, expect, it } from 'vitest';
import * as api from '../src/index.js';

describe('public API', () => {
  it('exports exactly the documented values (an accidental export fails here)', () => {
    expect(Object.keys(api).sort()).toMatchInlineSnapshot(`
      [
        "ClientRequestError",
        "HandleStoreError",
        "LATEST_PROTOCOL_VERSION",
        "LOGGING_LEVELS",
        "ManualClock",
        "MemoryHandleStore",
        "RuntimeEventEmitter",
        "SUPPORTED_PROTOCOL_VERSIONS",
        "SessionRuntimeError",
        "StaleFencingTokenError",
        "ToolError",
        "createSessionRuntime",
        "createTransitionLog",
        "defineHandle",
        "definePrompt",
        "defineResource",
        "defineResourceTemplate",
        "defineServer",
        "defineTool",
        "errorTable",
        "httpStatusOf",
        "isErrorResponse",
        "negotiateProtocolVersion",
        "parseMessage",
        "reasonOf",
        "systemClock",
      ]
    `);
  });
});
