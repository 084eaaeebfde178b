/**
 * JSON text of the messages the transports send, written once. A handler's result is whatever the
 * handler returned, so it may not be JSON at all (a BigInt, a cycle, a `toJSON` that throws):
 * `JSON.stringify` would throw where the transport writes, leaving the request unanswered or, from a
 * timer, ending the process. A response that cannot be serialized is sent as an internal error
 * (-32603) for its id instead, and `onError` hears why; any other message (a notification, a request
 * of ours) that cannot be serialized is not sent (`undefined`).
 */
import { errorResponse } from './errors.js';

/**
 * The JSON text of one JSON-RPC message, or of an array of them (a batch answer: members that
 * cannot be sent are left out, and `undefined` when none is left).
 *
 * @example
 * ```ts
 * const text = serializeMessage(response, (error) => log(String(error)));
 * if (text !== undefined) socket.write(`${text}\n`);
 * ```
 */
export function serializeMessage(message: unknown, onError?: (error: unknown) => void): string | undefined {
  if (Array.isArray(message)) {
    const members = message.flatMap((member) => serializeMessage(member, onError) ?? []);
    return members.length === 0 ? undefined : `[${members.join(',')}]`;
  }
  try {
    return JSON.stringify(message);
  } catch (error) {
    onError?.(error);
    const record =
      typeof message === 'object' && message !== null ? (message as Record<string, unknown>) : {};
    if ('method' in record || !('id' in record)) return undefined;
    const id = record.id;
    return JSON.stringify(
      errorResponse(typeof id === 'string' || typeof id === 'number' ? id : null, 'internal_error'),
    );
  }
}
