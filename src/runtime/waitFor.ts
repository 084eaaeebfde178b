/**
 * Deadlock detection between sessions (wait-for graph). A handler that sends another session a
 * request with `ctx.dispatch` waits for it; a queued request waits for the handlers holding its
 * session's slots. A new request that would have to queue closes a cycle when, following those
 * edges from the handlers it would wait for, we reach the very handler that sent it: with
 * turn-taking mailboxes nothing in that cycle could ever run again. Two sessions that call each other
 * at the same moment (A → B while B → A, one slot each) are the common case; the call-chain rule
 * cannot see it because neither chain contains the other's session.
 */
import type { PendingRequest } from './PendingRequest.js';

/**
 * True when a request sent by `caller` that must wait for `blockers` (the slot holders of its
 * target session) would complete a wait-for cycle. Runs only for handler-to-handler requests that
 * cannot start at once; the graph it walks is the set of requests in flight, so it is small.
 */
export function wouldDeadlock(caller: PendingRequest, blockers: Iterable<PendingRequest>): boolean {
  const seen = new Set<PendingRequest>();
  const pending = [...blockers];
  for (let holder = pending.pop(); holder !== undefined; holder = pending.pop()) {
    if (holder === caller) return true;
    if (seen.has(holder)) continue;
    seen.add(holder);
    for (const awaited of holder.outstanding ?? []) {
      if (awaited.holdsSlot) pending.push(awaited);
      else if (awaited.phase === 'queued') pending.push(...awaited.owner.slotHolders());
    }
  }
  return false;
}
