/**
 * A `Placement` (the cluster contract) in memory for tests: every answer is the test's to choose
 * (claims granted, refused, rejected or held back), every call is recorded.
 */
import type { ClusterNotification, Location, Placement } from '../../src/runtime/placement.js';
import { PlacementUnavailableError } from '../../src/runtime/placement.js';
import { deferred } from '../helpers.js';

/** A placement in memory: every answer is the test's to choose, every call is recorded. */
export class FakePlacement implements Placement {
  readonly instanceId = 'instance-a';
  readonly address = 'http://10.0.0.1:3000';
  readonly held = new Set<string>();
  readonly claims: string[] = [];
  readonly releases: string[] = [];
  readonly published: ClusterNotification[] = [];
  readonly located: string[] = [];
  readonly locations = new Map<string, Location>();
  /** How the next claims answer: granted, refused (held elsewhere), rejected, or held back by the test. */
  claimAnswer: 'grant' | 'refuse' | 'unavailable' | 'hold' = 'grant';
  /** Claims held back (`claimAnswer: 'hold'`): settle one with `true` to grant it. */
  readonly heldBack: { readonly id: string; readonly settle: (granted: boolean) => void }[] = [];
  locateFails = false;
  private lostListener: ((id: string) => void) | undefined;
  private notificationListener: ((notification: ClusterNotification) => void) | undefined;

  claim(id: string): Promise<boolean> {
    this.claims.push(id);
    switch (this.claimAnswer) {
      case 'refuse':
        return Promise.resolve(false);
      case 'unavailable':
        return Promise.reject(new PlacementUnavailableError('store unreachable', 7));
      case 'hold': {
        const answer = deferred<boolean>();
        this.heldBack.push({
          id,
          settle: (granted) => {
            if (granted) this.held.add(id);
            answer.resolve(granted);
          },
        });
        return answer.promise;
      }
      default:
        this.held.add(id);
        return Promise.resolve(true);
    }
  }
  holds(id: string): boolean {
    return this.held.has(id);
  }
  release(id: string): void {
    this.releases.push(id);
    this.held.delete(id);
  }
  locate(id: string): Promise<Location> {
    this.located.push(id);
    if (this.locateFails) return Promise.reject(new PlacementUnavailableError('store unreachable', 3));
    return Promise.resolve(this.locations.get(id) ?? { kind: 'none' });
  }
  onLost(listener: (id: string) => void): () => void {
    this.lostListener = listener;
    return () => {
      if (this.lostListener === listener) this.lostListener = undefined;
    };
  }
  publish(notification: ClusterNotification): void {
    this.published.push(notification);
  }
  onNotification(listener: (notification: ClusterNotification) => void): () => void {
    this.notificationListener = listener;
    return () => {
      if (this.notificationListener === listener) this.notificationListener = undefined;
    };
  }
  /** Whether a runtime's listeners are registered: for lost ids, for notifications. */
  get listening(): { readonly lost: boolean; readonly notifications: boolean } {
    return { lost: this.lostListener !== undefined, notifications: this.notificationListener !== undefined };
  }
  /** This instance lost `id`: the claim is gone and the runtime is told. */
  lose(id: string): void {
    this.held.delete(id);
    this.lostListener?.(id);
  }
  /** Another instance published `notification`. */
  receive(notification: ClusterNotification): void {
    this.notificationListener?.(notification);
  }
}
