/**
 * Multi-round-trip requests (MCP 2026-07-28, SEP-2322) for one run of a handler: on the sessionless
 * path a handler's `ctx.request` (elicitation, sampling, roots) is not sent to the client. Instead:
 *
 * - the answer is looked up among what the client sent back (`inputResponses`) and what earlier
 *   rounds carried (`requestState`, sealed by this server), under the request's key;
 * - a request with no answer yet is collected; once the handler has asked all it asks at once (the
 *   next macrotask), the request is answered `{ resultType: "input_required", inputRequests,
 *   requestState }` and this run of the handler is dropped;
 * - the client retries with a new id, `inputResponses` and the `requestState` verbatim, and the
 *   handler runs again from the start, now finding its answers.
 *
 * So one handler serves both eras: on a 2025 session the same `ctx.request` sends a real
 * server→client request. `requestState` is integrity-protected, bound to the principal, the method
 * and the params, and expires (`requestState.ts`); a tampered or expired one is `invalid_params`.
 */
import {
  CreateMessageResultSchema,
  ElicitResultSchema,
  ListRootsResultSchema,
} from '@modelcontextprotocol/core';
import { isRecord } from '../protocol/jsonrpc.js';
import type { RequestStateCodec } from '../protocol/requestState.js';
import { digestParams } from '../protocol/requestState.js';

/** The result schema of each method a server may ask the client (`inputRequests` values). */
const NO_INPUTS: Readonly<Record<string, unknown>> = Object.freeze({});

const resultSchemas: Readonly<Record<string, { safeParse(value: unknown): { success: boolean } }>> = {
  'elicitation/create': ElicitResultSchema,
  'sampling/createMessage': CreateMessageResultSchema,
  'roots/list': ListRootsResultSchema,
};

/**
 * Whether `value` is a valid answer to a request of `method` (an `inputResponses` entry): an object
 * that passes the method's result schema. Shared with the tasks extension's `tasks/update`.
 */
export function isInputResponse(method: string, value: unknown): value is Record<string, unknown> {
  const schema = resultSchemas[method];
  return isRecord(value) && (schema === undefined || schema.safeParse(value).success);
}

/** What a sealed `requestState` carries: the answers this request's handler used in earlier rounds. */
interface SealedInputs {
  readonly inputs: Readonly<Record<string, unknown>>;
}

/** One entry of `inputRequests`. */
export interface InputRequest {
  readonly method: string;
  readonly params: Readonly<Record<string, unknown>>;
}

/** @internal */
export class InputRound {
  /** Answers the handler took in this run, to carry into the next round's state. */
  private readonly used: Record<string, unknown> = {};
  /** Requests with no answer yet, by key; created on the first. */
  private asked: Record<string, InputRequest> | undefined;
  /** Numbers the requests of a handler that gives no key. */
  private counter = 0;

  private constructor(
    /** Answers available to this run: the sealed state's, then the retry's `inputResponses`. */
    private readonly inputs: Readonly<Record<string, unknown>>,
    private readonly codec: RequestStateCodec,
    private readonly principal: string | undefined,
    private readonly method: string,
    private readonly params: Readonly<Record<string, unknown>>,
  ) {}

  /**
   * The round of a request: its `requestState` opened (a string saying why when it cannot be:
   * `invalid_params`), its `inputResponses` read. Keys the handler never asks for are ignored.
   */
  static of(
    codec: RequestStateCodec,
    principal: string | undefined,
    method: string,
    params: Readonly<Record<string, unknown>>,
  ): InputRound | string {
    let carried: Readonly<Record<string, unknown>> = NO_INPUTS;
    const token = params.requestState;
    if (token !== undefined) {
      if (typeof token !== 'string') return 'requestState must be the string this server sent';
      const opened = codec.open<SealedInputs>(token, {
        principal,
        method,
        paramsDigest: digestParams(params),
      });
      if (!opened.ok) {
        return opened.reason === 'expired'
          ? 'requestState has expired; send the request again without it'
          : 'requestState was not issued by this server for this request';
      }
      carried = isRecord(opened.state.inputs) ? opened.state.inputs : {};
    }
    const responses = params.inputResponses;
    const inputs = isRecord(responses) ? { ...carried, ...responses } : carried;
    return new InputRound(inputs, codec, principal, method, params);
  }

  /** The key of the handler's next request: its own, or the method and a count. */
  keyFor(method: string, given: string | undefined): string {
    const key = given ?? `${method}:${this.counter}`;
    this.counter++;
    return key;
  }

  /**
   * The client's answer under `key` if it sent one: `{ value }`, or a sentence for `invalid_params`
   * when it is not a result of `method`; `undefined` when there is none yet.
   */
  answer(key: string, method: string): { readonly value: Record<string, unknown> } | string | undefined {
    if (!Object.hasOwn(this.inputs, key)) return undefined;
    const value = this.inputs[key];
    if (value === null || value === undefined) return undefined;
    if (!isInputResponse(method, value)) {
      return `inputResponses["${key}"] is not a valid ${method} result`;
    }
    this.used[key] = value;
    return { value };
  }

  /** Collects a request the client must answer; true if it is the first of this round. */
  ask(key: string, request: InputRequest): boolean {
    const first = this.asked === undefined;
    this.asked ??= {};
    this.asked[key] = request;
    return first;
  }

  /** The `input_required` result of this round: what was asked, and the state to send back. */
  inputRequired(): Record<string, unknown> {
    const requestState = this.codec.seal<SealedInputs>(
      { inputs: this.used },
      {
        principal: this.principal,
        method: this.method,
        paramsDigest: digestParams(this.params),
      },
    );
    return { resultType: 'input_required', inputRequests: this.asked ?? {}, requestState };
  }
}
