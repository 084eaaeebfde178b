/** The mailbox wait of a request, as an event on its SERVER span. */
import type { Context } from '@opentelemetry/api';
import { trace } from '@opentelemetry/api';
import { ATTR_MAILBOX_WAIT_MS, EVENT_MAILBOX_WAIT } from './semconv.js';

/**
 * Adds `mcp.mailbox.wait` (`mcp_session_runtime.mailbox.wait_ms`: the ms the request waited
 * before its handler started) to the span active in `traceContext`. The mailbox calls it only for
 * a request that waited in its queue (a wait under 1 ms reads 0): one that started at once gets no
 * event.
 * A state handle's call is part of its caller's `tools/call`, so its wait lands on that span too.
 * @internal
 */
export function recordMailboxWait(traceContext: Context, waitMs: number): void {
  const span = trace.getSpan(traceContext);
  if (span?.isRecording()) span.addEvent(EVENT_MAILBOX_WAIT, { [ATTR_MAILBOX_WAIT_MS]: waitMs });
}
