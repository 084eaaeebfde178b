/** The `mcp.server.session.duration` histogram (semantic conventions for MCP, status: Development). */
import type { Attributes } from '@opentelemetry/api';
import type { SessionStopReason } from '../../machines/stopReason.js';
import { activeInstruments } from './instruments.js';
import { ATTR_ERROR_TYPE, ATTR_MCP_PROTOCOL_VERSION } from './semconv.js';

/** What the histogram reads of a stopped session. */
export interface EndedSession {
  /** Clock reading of the session's creation (ms). */
  readonly createdAt: number;
  /** The revision `initialize` agreed on; `undefined` if it never initialized. */
  readonly protocolVersion: string | undefined;
}

/**
 * Records a 2025-era session's life, from its creation to `now` (clock readings, ms), in seconds.
 * A session that ended because this instance lost its lease (`lease_lost`) ended in error:
 * `error.type` is `lease_lost`; idle, removed, swept and closed sessions ended normally.
 * @internal
 */
export function recordSessionDuration(session: EndedSession, reason: SessionStopReason, now: number): void {
  const instruments = activeInstruments();
  if (instruments === undefined) return;
  const attributes: Attributes = {};
  const { protocolVersion } = session;
  if (protocolVersion !== undefined) attributes[ATTR_MCP_PROTOCOL_VERSION] = protocolVersion;
  if (reason === 'lease_lost') attributes[ATTR_ERROR_TYPE] = reason;
  instruments.sessionDuration.record((now - session.createdAt) / 1000, attributes);
}
