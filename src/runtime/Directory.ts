/**
 * The id → session map and its parent actor. Insert-if-absent is one synchronous step
 * (`map.get` then `map.set` with no `await` between), so under any interleaving of callers one id
 * has at most one live session.
 *
 * The stop rule (our answer to Akka's buffering and Orleans' locked re-check): a session stops only
 * from its machine's guarded transition, which re-checks in the same synchronous step that its
 * mailbox is empty and nothing runs; the stopped session leaves the map in that same step. So a
 * message either arrives before the check (the check fails, the timer re-arms, the message is
 * served) or after it (the id is absent: a fresh session if the message may create one, else a
 * definitive `session_not_found`). No message can land in a stopping mailbox and be lost.
 */
import type { Actor } from 'xstate';
import { createActor } from 'xstate';
import type { DirectoryHost } from '../machines/directory.machine.js';
import { directoryMachine } from '../machines/directory.machine.js';
import type { SessionMachineOutput } from '../machines/session.machine.js';
import type { SessionEnvironment } from './Session.js';
import { Session } from './Session.js';

/** Why the directory could not hand out a session. */
export type LookupRefusal = 'session_not_found' | 'overloaded' | 'too_many_sessions' | 'shutting_down';

/** @internal */
export class Directory implements DirectoryHost {
  private readonly sessions = new Map<string, Session>();
  /** Live sessions per principal, for `maxSessionsPerPrincipal`. */
  private readonly perOwner = new Map<string, number>();
  readonly actor: Actor<typeof directoryMachine>;

  constructor(private readonly environment: SessionEnvironment) {
    this.actor = createActor(directoryMachine, { input: { host: this } });
    this.actor.start();
  }

  get size(): number {
    return this.sessions.size;
  }

  get accepting(): boolean {
    return this.actor.getSnapshot().value === 'accepting';
  }

  /** The live session for `sessionId`, if any. */
  get(sessionId: string): Session | undefined {
    const session = this.sessions.get(sessionId);
    if (session === undefined) return undefined;
    if (session.live) return session;
    // Stopped, and its done event is still on its way to us (we are inside one of our own
    // actions): it is gone all the same.
    this.sessions.delete(sessionId);
    return undefined;
  }

  /** The live session for `sessionId` if `owner` may reach it; another principal's session is "not found". */
  reach(sessionId: string, owner: string | undefined): Session | undefined {
    const session = this.get(sessionId);
    return session !== undefined && session.owner === owner ? session : undefined;
  }

  /**
   * Insert-if-absent: the live session for `sessionId`, or a new one bound to `owner` if `mayCreate`
   * and limits allow. A session of another principal is reported as absent and never replaced.
   */
  getOrCreate(sessionId: string, mayCreate: boolean, owner: string | undefined): Session | LookupRefusal {
    const existing = this.get(sessionId);
    // Another principal's session is answered exactly as an unknown id would be, shutdown included,
    // or the difference would tell which ids are live.
    if (existing !== undefined && existing.owner === owner) return existing;
    if (!this.accepting) return 'shutting_down';
    if (existing !== undefined || !mayCreate) return 'session_not_found';
    const { options, metrics, events } = this.environment;
    if (this.sessions.size >= options.maxSessions) {
      events.safeEmit('overload', { sessionId, reason: 'overloaded', limit: options.maxSessions });
      return 'overloaded';
    }
    if (owner !== undefined && (this.perOwner.get(owner) ?? 0) >= options.maxSessionsPerPrincipal) {
      events.safeEmit('overload', {
        sessionId,
        reason: 'too_many_sessions',
        limit: options.maxSessionsPerPrincipal,
      });
      return 'too_many_sessions';
    }
    const session = new Session(sessionId, owner, this.environment, this.actor);
    this.sessions.set(sessionId, session);
    if (owner !== undefined) this.perOwner.set(owner, (this.perOwner.get(owner) ?? 0) + 1);
    metrics.sessions++;
    metrics.sessionsStarted++;
    session.start();
    events.safeEmit('sessionStarted', { sessionId });
    return session;
  }

  /** Every live session, for sweeps and shutdown. */
  values(): IterableIterator<Session> {
    return this.sessions.values();
  }

  /** Starts shutdown: refuse new sessions, drain the live ones. */
  close(): void {
    this.actor.send({ type: 'close' });
  }

  // ── DirectoryHost ─────────────────────────────────────────────────────────────────────────

  forgetSession(output: SessionMachineOutput): void {
    const { metrics, events } = this.environment;
    const current = this.sessions.get(output.sessionId);
    // Forget the session that stopped, never a fresh one that took its id meanwhile.
    if (current !== undefined && !current.live) {
      this.sessions.delete(output.sessionId);
    }
    metrics.sessions--;
    metrics.sessionsStopped[output.reason]++;
    if (output.owner !== undefined) {
      const left = (this.perOwner.get(output.owner) ?? 1) - 1;
      if (left === 0) this.perOwner.delete(output.owner);
      else this.perOwner.set(output.owner, left);
    }
    events.safeEmit('sessionStopped', { sessionId: output.sessionId, reason: output.reason });
  }

  closeSessions(): void {
    for (const session of [...this.sessions.values()]) session.actor.send({ type: 'close' });
  }

  liveSessions(): number {
    return this.sessions.size;
  }
}
