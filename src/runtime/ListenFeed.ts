/**
 * `subscriptions/listen` (MCP 2026-07-28): a client of the sessionless era asks for change
 * notifications on one long-lived response stream instead of a session. The feed keeps the open
 * listens, tells each the kinds it asked for (list changes; resource updates go through the
 * runtime's `Subscriptions`, which serve 2025 sessions too), bounds how many one principal holds,
 * and ends them all, gracefully, when the runtime closes. A listen it refuses counts in the runtime's
 * refusals (`metrics().rejected`, `mcp_session_runtime.refusals`) under the reason the transport's
 * answer carries ({@link listenRefusalReason}).
 */
import { type JsonRpcMessage, jsonRpcNotification } from '../protocol/jsonrpc.js';
import type { MetricsRecorder } from './metrics.js';
import type { Subscriber, Subscriptions } from './Subscriptions.js';

/** What a listen asks for (schema `SubscriptionFilter`). */
export interface ListenFilter {
  readonly toolsListChanged?: boolean | undefined;
  readonly promptsListChanged?: boolean | undefined;
  readonly resourcesListChanged?: boolean | undefined;
  /** URIs whose `notifications/resources/updated` the client wants. */
  readonly resourceSubscriptions?: readonly string[] | undefined;
  /**
   * Tasks whose `notifications/tasks` the client wants (the tasks extension, SEP-2663, "Task Status
   * Notifications"). Without a placement only the caller's own live tasks are honoured (another
   * principal's id is answered as an unknown one). With a placement every id listed is honoured,
   * so `honored.taskIds` echoes the request: a task may run on another instance, which this one
   * cannot ask synchronously, and dropping only the ids known here to be another principal's would
   * tell the caller that they exist. Nothing leaks: a task's status is sent only to listens of the
   * task's own principal.
   */
  readonly taskIds?: readonly string[] | undefined;
}

/** Where a listen's notifications go: the transport's stream. */
export interface ListenSink extends Subscriber {
  /** The server ends the listen (shutdown): the transport sends the listen's result and closes. */
  end(): void;
}

/** An open listen. */
export interface Listen {
  /** What the server will send: the asked kinds it can serve (`notifications/subscriptions/acknowledged`). */
  readonly honored: ListenFilter;
  /** Stops the listen (the client went away); idempotent. */
  close(): void;
}

/** Why {@link ListenFeed.open} refused a listen. @internal */
export type ListenRefusal = 'limit' | 'too_many_uris' | 'closed';

/**
 * The refusal reason a refused listen counts under, the `error.data.reason` its answer carries:
 * `overloaded` (503, retry after a second) for the principal's `maxSubscriptionsPerPrincipal`,
 * `invalid_params` (-32602) past {@link MAX_RESOURCE_SUBSCRIPTIONS} URIs or task ids,
 * `shutting_down` (503) once the runtime is closing.
 * @internal
 */
export const listenRefusalReason: Readonly<Record<ListenRefusal, string>> = {
  limit: 'overloaded',
  too_many_uris: 'invalid_params',
  closed: 'shutting_down',
};

/** The lists a server may announce changes of. */
export type ListKind = 'tools' | 'prompts' | 'resources';

/** Which kinds this server can announce: a kind is served when something of it is registered. */
export interface ListenCapabilities {
  readonly tools: boolean;
  readonly prompts: boolean;
  readonly resources: boolean;
}

interface Entry {
  readonly honored: ListenFilter;
  readonly sink: ListenSink;
  readonly principal: string;
}

const filterKey: Readonly<Record<ListKind, keyof ListenFilter>> = {
  tools: 'toolsListChanged',
  prompts: 'promptsListChanged',
  resources: 'resourcesListChanged',
};

/**
 * URIs one listen may subscribe to: each is an entry of the runtime's subscription index for the
 * life of the stream, so a client may not make that index grow without bound.
 */
export const MAX_RESOURCE_SUBSCRIPTIONS = 100;

/** @internal */
export class ListenFeed {
  private readonly entries = new Set<Entry>();
  private readonly perPrincipal = new Map<string, number>();
  private closed = false;

  constructor(
    private readonly capabilities: ListenCapabilities,
    /** Listens one principal may hold at once (anonymous clients share one count). */
    private readonly maxPerPrincipal: number,
    private readonly subscriptions: Subscriptions | undefined,
    /** The runtime's counters: a refused listen counts under {@link listenRefusalReason}. */
    private readonly rejections: Pick<MetricsRecorder, 'reject'>,
    /** Whether to honour `taskId` for `principal` (the runtime: a live task of theirs, or any id in a cluster). */
    private readonly ownsTask: (taskId: string, principal: string | undefined) => boolean = () => false,
  ) {}

  /** The part of `filter` this server serves to `principal`. */
  honor(filter: ListenFilter, principal: string | undefined): ListenFilter {
    const { capabilities } = this;
    const honored: { -readonly [K in keyof ListenFilter]: ListenFilter[K] } = {};
    if (filter.toolsListChanged === true && capabilities.tools) honored.toolsListChanged = true;
    if (filter.promptsListChanged === true && capabilities.prompts) honored.promptsListChanged = true;
    if (filter.resourcesListChanged === true && capabilities.resources) honored.resourcesListChanged = true;
    const uris = filter.resourceSubscriptions;
    if (uris !== undefined && uris.length > 0 && this.subscriptions !== undefined) {
      honored.resourceSubscriptions = [...new Set(uris)];
    }
    // Only the ids `ownsTask` accepts: without a placement, another principal's id is answered as an unknown one.
    const taskIds = filter.taskIds?.filter((taskId) => this.ownsTask(taskId, principal));
    if (taskIds !== undefined && taskIds.length > 0) honored.taskIds = [...new Set(taskIds)];
    return honored;
  }

  /**
   * Opens a listen for `principal` (`undefined`: anonymous); `'limit'` when the principal holds
   * `maxPerPrincipal` already, `'too_many_uris'` past {@link MAX_RESOURCE_SUBSCRIPTIONS} URIs or task ids,
   * `'closed'` once the runtime is closing. A refusal is counted (see {@link listenRefusalReason}).
   */
  open(filter: ListenFilter, principal: string | undefined, sink: ListenSink): Listen | ListenRefusal {
    if (this.closed) return this.refuse('closed');
    if ((filter.resourceSubscriptions?.length ?? 0) > MAX_RESOURCE_SUBSCRIPTIONS)
      return this.refuse('too_many_uris');
    if ((filter.taskIds?.length ?? 0) > MAX_RESOURCE_SUBSCRIPTIONS) return this.refuse('too_many_uris');
    const key = principal ?? '';
    const held = this.perPrincipal.get(key) ?? 0;
    if (held >= this.maxPerPrincipal) return this.refuse('limit');
    const entry: Entry = { honored: this.honor(filter, principal), sink, principal: key };
    this.entries.add(entry);
    this.perPrincipal.set(key, held + 1);
    for (const uri of entry.honored.resourceSubscriptions ?? []) this.subscriptions?.subscribe(uri, sink);
    let open = true;
    return {
      honored: entry.honored,
      close: () => {
        if (!open) return;
        open = false;
        this.remove(entry);
      },
    };
  }

  /** Sends `notifications/<kind>/list_changed` to every listen that asked for it; returns how many. */
  listChanged(kind: ListKind): number {
    const key = filterKey[kind];
    let told = 0;
    const message: JsonRpcMessage = jsonRpcNotification(`notifications/${kind}/list_changed`);
    for (const entry of [...this.entries]) {
      if (entry.honored[key] === true && entry.sink.send(message)) told++;
    }
    return told;
  }

  /**
   * Sends `notifications/tasks` (the task as `tasks/get` would answer now) to the listens of the
   * task's principal that asked for it; returns how many.
   */
  taskChanged(
    taskId: string,
    principal: string | undefined,
    task: Readonly<Record<string, unknown>>,
  ): number {
    const key = principal ?? '';
    let told = 0;
    let message: JsonRpcMessage | undefined;
    for (const entry of [...this.entries]) {
      if (entry.principal !== key || entry.honored.taskIds?.includes(taskId) !== true) continue;
      message ??= jsonRpcNotification('notifications/tasks', task);
      if (entry.sink.send(message)) told++;
    }
    return told;
  }

  /** Open listens now. */
  get size(): number {
    return this.entries.size;
  }

  /** Ends every listen gracefully and takes no more (the runtime closes). */
  endAll(): void {
    this.closed = true;
    for (const entry of [...this.entries]) {
      this.remove(entry);
      entry.sink.end();
    }
  }

  private refuse(refusal: ListenRefusal): ListenRefusal {
    this.rejections.reject(listenRefusalReason[refusal]);
    return refusal;
  }

  private remove(entry: Entry): void {
    if (!this.entries.delete(entry)) return;
    for (const uri of entry.honored.resourceSubscriptions ?? [])
      this.subscriptions?.unsubscribe(uri, entry.sink);
    const left = (this.perPrincipal.get(entry.principal) ?? 1) - 1;
    if (left === 0) this.perPrincipal.delete(entry.principal);
    else this.perPrincipal.set(entry.principal, left);
  }
}
