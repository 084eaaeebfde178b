/** The `mcp_session_runtime.cluster.forwarded` counter. */
import { activeInstruments } from './instruments.js';
import { ATTR_OUTCOME } from './semconv.js';

/**
 * How a forward to the instance holding a request's actor ended: `ok` (its answer passed through),
 * `owner_gone` (refused or reset before any answer: served here instead), `timeout` (no answer
 * headers in time: 503), `client_gone` (the client left first), `error` (any other failure: 503).
 */
export type ForwardOutcomeLabel = 'ok' | 'owner_gone' | 'timeout' | 'client_gone' | 'error';

/** Counts one forwarded request by outcome. @internal */
export function recordForward(outcome: ForwardOutcomeLabel): void {
  activeInstruments()?.forwarded.add(1, { [ATTR_OUTCOME]: outcome });
}
