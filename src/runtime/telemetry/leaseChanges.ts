/** The `mcp_session_runtime.cluster.lease.changes` counter. */
import { activeInstruments } from './instruments.js';
import { ATTR_CHANGE, ATTR_KIND } from './semconv.js';

/** A lease change of this instance: `claim`, `claim_refused`, `release` or `loss`. */
export type LeaseChange = 'claim' | 'claim_refused' | 'release' | 'loss';

/** Counts one lease change of an id of `kind` (`session`, `handle`, `task`). @internal */
export function recordLeaseChange(change: LeaseChange, kind: string): void {
  activeInstruments()?.leaseChanges.add(1, { [ATTR_CHANGE]: change, [ATTR_KIND]: kind });
}
