/**
 * The churn soak of issue 8 at 20,000 sessions, in `npm test`: the same driver as `npm run soak`
 * (bench/soak.ts) on a ManualClock advanced between waves. Every churn session is created, used
 * (handshake, a tool call with progress, a subscription with an attached listener, work carrying an
 * AbortSignal, a cancellation) and idle-stopped while long sessions keep working; afterwards the
 * session map, the armed timers and the listeners are back to what the long sessions hold, and to
 * zero after close.
 */
import { describe, expect, it } from 'vitest';
import type { SoakReport } from '../../bench/soak.js';
import { runSoak } from '../../bench/soak.js';

const SESSIONS = 20_000;
const LONG_SESSIONS = 10;

describe('churn of 20,000 sessions beside steady long sessions', () => {
  let report: SoakReport;

  it('loses no request and answers every one as expected', async () => {
    report = await runSoak({
      sessions: SESSIONS,
      wave: 1_000,
      longSessions: LONG_SESSIONS,
      clock: 'manual',
      idleTimeoutMs: 1_000,
    });
    expect(report.firstErrors).toEqual([]);
    expect(report.churnErrors).toBe(0);
    expect(report.longErrors).toBe(0);
    expect(report.longRequests).toBeGreaterThan(0);
    expect(report.lostRequests).toBe(0);
  });

  it('returns the session map to the long sessions after the churn, and to zero after close', () => {
    expect(report.sizeAfterChurn).toBe(LONG_SESSIONS);
    expect(report.sizeAfterClose).toBe(0);
  });

  it('returns the armed timers to one idle timer per long session, and to zero after close', () => {
    expect(report.timers.afterChurn).toBe(LONG_SESSIONS);
    expect(report.timers.afterClose).toBe(0);
  });

  it('returns the listeners: no abort listener left, only the long sessions still subscribed', () => {
    expect(report.abortListenersAfter).toBe(0);
    expect(report.subscribersAfterChurn).toBe(LONG_SESSIONS);
    expect(report.handles.afterClose).toBeLessThanOrEqual(report.handles.before);
  });

  it('counts every started session as stopped: the churn by idle, the long ones by close', () => {
    const { metrics } = report;
    // The warm-up wave (1,000 sessions) goes through the same cycle before the measured churn.
    const churned = SESSIONS + 1_000;
    expect(metrics.sessionsStarted).toBe(churned + LONG_SESSIONS);
    expect(metrics.sessionsStopped).toEqual({
      idle: churned,
      removed: 0,
      swept: 0,
      closed: LONG_SESSIONS,
      lease_lost: 0,
    });
    expect(metrics.sessions).toBe(0);
    expect(metrics.queued).toBe(0);
    expect(metrics.inFlight).toBe(0);
    expect(metrics.failed).toBe(0);
    expect(metrics.accepted).toBe(metrics.completed + metrics.cancelled);
    // One request in ten of every churn session was cancelled by its client.
    expect(metrics.cancelled).toBe(churned / 10);
    expect(metrics.rejected).toEqual({});
  });
});
