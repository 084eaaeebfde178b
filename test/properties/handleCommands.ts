/**
 * The commands fast-check draws for the handle race properties: principals opening handles, calling
 * tools on them (by id: their own, another principal's, a stopped one's, or an id never minted),
 * cancelling calls, the clock moving past idle timeouts, and `runtime.close`. Each acts on the model
 * and on the real runtime alike; `handleRace.ts` compares the two before and after each one.
 */
import fc from 'fast-check';
import type { HandleHarness } from './handleHarness.js';
import type { HandleModel, ModelHandle, PrincipalName, ToolName, Via } from './handleModel.js';
import { composeCall, isLive, nextKey, principals, returnedHandles, UNKNOWN_HANDLE } from './handleModel.js';
import * as model from './handleTransitions.js';
import type { HandlerOutcome } from './model.js';
import type { RunReal } from './raceRun.js';
import { clockAndClose, drainMsOf, handlerOutcome, RunCommand, send } from './raceRun.js';

/** What a command acts on besides the model: the harness, and how to look before and after. */
export type HandleReal = RunReal<HandleModel, HandleHarness>;

/** One command: a label that reads well in a counterexample, what it does, and when it may run. */
class HandleCommand extends RunCommand<HandleModel, HandleHarness> {}

const { advanceClock, closeRuntime } = clockAndClose<HandleModel, HandleHarness>(model);

const via = (path: Via, delayed: boolean) => ` via ${path}${delayed ? ', network' : ''}`;

function openHandle(principal: PrincipalName, path: Via, outcome: HandlerOutcome, delayed: boolean) {
  return new HandleCommand(`open by ${principal}${via(path, delayed)} (${outcome})`, (state, harness) =>
    send(harness, [composeCall(state, principal, path, 'open', outcome, 0)], delayed),
  );
}

/** Who calls: the handle's owner, or a named principal (perhaps the owner all the same). */
export type Caller = 'owner' | PrincipalName;

/**
 * Which id a call names: the `n`-th handle whose id some client holds (its `open` answered), among
 * the live ones (`live`, falling back to any) or among all, stopped ones included (`any`); or an id
 * never minted (`unknown`). A call that names a handle is skipped while no id was returned yet.
 */
export type Pick = { readonly among: 'live' | 'any'; readonly n: number } | 'unknown';

const describePick = (pick: Pick) =>
  pick === 'unknown' ? 'an unknown id' : `${pick.among === 'live' ? 'live ' : ''}handle ${pick.n}`;

function pickHandle(state: HandleModel, pick: Pick): ModelHandle | undefined {
  if (pick === 'unknown') return undefined;
  const returned = returnedHandles(state);
  const live = returned.filter(isLive);
  const candidates = pick.among === 'live' && live.length > 0 ? live : returned;
  return candidates[pick.n % Math.max(candidates.length, 1)];
}

/** Calls on one handle, pipelined in one go. */
function callHandle(
  tool: Exclude<ToolName, 'open'>,
  pick: Pick,
  caller: Caller,
  path: Via,
  outcomes: readonly HandlerOutcome[],
  delayed: boolean,
) {
  const label = `${tool} on ${describePick(pick)} by ${caller}${via(path, delayed)} (${outcomes.join(', ')})`;
  return new HandleCommand(
    label,
    (state, harness) => {
      const handle = pickHandle(state, pick);
      const principal = caller === 'owner' ? (handle?.owner ?? 'alice') : caller;
      const target = handle?.key ?? UNKNOWN_HANDLE;
      const calls = outcomes.map((outcome) => composeCall(state, principal, path, tool, outcome, target));
      send(harness, calls, delayed);
    },
    (state) => pick === 'unknown' || returnedHandles(state).length > 0,
  );
}

function cancelCall(pick: number, delayed: boolean) {
  return new HandleCommand(`cancel call ${pick}${delayed ? ' via network' : ''}`, (state, harness) => {
    // Any call not answered yet, on the network or in the runtime.
    const candidates = [...state.calls.values()].filter((call) => call.expected === undefined);
    const target = candidates[pick % Math.max(candidates.length, 1)];
    if (target === undefined) return;
    const key = nextKey(state);
    if (delayed) harness.cancelLater(target, key);
    else harness.cancelNow(target, key);
  });
}

export interface HandleCommandOptions {
  readonly idleTimeoutMs: number;
  readonly maxCommands: number;
}

export function handleCommands(options: HandleCommandOptions) {
  const idle = options.idleTimeoutMs;
  const principal = fc.constantFrom(...principals);
  const path = fc.constantFrom<Via>('session', 'serve');
  const delayed = fc.boolean();
  const outcome = handlerOutcome;
  const openOutcome = fc.oneof(
    { arbitrary: fc.constant<HandlerOutcome>('resolves'), weight: 8 },
    { arbitrary: fc.constant<HandlerOutcome>('rejects'), weight: 1 },
    { arbitrary: fc.constant<HandlerOutcome>('hangs'), weight: 1 },
  );
  const pick = fc.oneof(
    { arbitrary: fc.record({ among: fc.constant('live' as const), n: fc.nat(7) }), weight: 9 },
    { arbitrary: fc.record({ among: fc.constant('any' as const), n: fc.nat(7) }), weight: 3 },
    { arbitrary: fc.constant<Pick>('unknown'), weight: 1 },
  );
  const caller = fc.oneof(
    { arbitrary: fc.constant<Caller>('owner'), weight: 5 },
    { arbitrary: principal, weight: 1 },
  );
  const open = fc
    .tuple(principal, path, openOutcome, delayed)
    .map(([who, through, result, late]) => openHandle(who, through, result, late));
  const inc = fc
    .tuple(pick, caller, path, fc.array(outcome, { minLength: 1, maxLength: 3 }), delayed)
    .map(([which, who, through, results, late]) => callHandle('inc', which, who, through, results, late));
  const closeHandle = fc
    .tuple(pick, caller, path, outcome, delayed)
    .map(([which, who, through, result, late]) => callHandle('close', which, who, through, [result], late));
  // Right at the idle timeout, anywhere up to twice it, or a short while (a handle survives it).
  const elapse = fc.oneof(
    fc.constantFrom(idle - 1, idle, idle + 1),
    fc.integer({ min: 1, max: 2 * idle }),
    fc.integer({ min: 1, max: idle / 10 }),
  );
  const command = fc.oneof(
    { arbitrary: open, weight: 8 },
    { arbitrary: inc, weight: 20 },
    { arbitrary: closeHandle, weight: 4 },
    { arbitrary: fc.tuple(fc.nat(5), delayed).map(([which, late]) => cancelCall(which, late)), weight: 8 },
    { arbitrary: elapse.map(advanceClock), weight: 8 },
    { arbitrary: drainMsOf(idle).map(closeRuntime), weight: 1 },
  );
  return fc.commands([command], { maxCommands: options.maxCommands, size: 'max' });
}
