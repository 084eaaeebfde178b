/**
 * `RuntimeEventEmitter` keeps eventemitter3's listener API (`on`, `once`, `off`, `context`,
 * `listeners`, `listenerCount`) while guarding each listener: one that throws is reported as
 * `listenerError` and the others still hear the event. These tests hold the emitter to both halves,
 * so an eventemitter3 upgrade that changes what the guards rely on fails here by name.
 */
import { describe, expect, it } from 'vitest';
import { RuntimeEventEmitter } from '../../src/index.js';

const started = (sessionId: string) => ({ sessionId });

describe('RuntimeEventEmitter', () => {
  it('calls every listener in order, even after one throws, and reports the throw as listenerError', () => {
    const events = new RuntimeEventEmitter();
    const heard: string[] = [];
    const reported: { event: string; error: unknown }[] = [];
    const boom = new Error('listener broke');
    events.on('sessionStarted', ({ sessionId }) => heard.push(`first:${sessionId}`));
    events.on('sessionStarted', () => {
      throw boom;
    });
    events.on('sessionStarted', ({ sessionId }) => heard.push(`third:${sessionId}`));
    events.on('listenerError', (report) => reported.push(report));
    expect(() => events.safeEmit('sessionStarted', started('s'))).not.toThrow();
    expect(() => events.emit('sessionStarted', started('t'))).not.toThrow();
    expect(heard).toEqual(['first:s', 'third:s', 'first:t', 'third:t']);
    expect(reported).toEqual([
      { event: 'sessionStarted', error: boom },
      { event: 'sessionStarted', error: boom },
    ]);
  });

  it('drops what a listenerError listener throws, and still calls the listenerError listeners after it', () => {
    const events = new RuntimeEventEmitter();
    const reported: unknown[] = [];
    events.on('sessionStarted', () => {
      throw new Error('first');
    });
    events.on('listenerError', () => {
      throw new Error('second');
    });
    events.on('listenerError', ({ error }) => reported.push((error as Error).message));
    expect(() => events.safeEmit('sessionStarted', started('s'))).not.toThrow();
    expect(reported).toEqual(['first']);
  });

  it('calls a once listener one time, and removes it before calling it', () => {
    const events = new RuntimeEventEmitter();
    const heard: string[] = [];
    events.once('sessionStarted', ({ sessionId }) => {
      heard.push(sessionId);
      events.safeEmit('sessionStarted', started(`${sessionId}-nested`));
    });
    events.safeEmit('sessionStarted', started('a'));
    events.safeEmit('sessionStarted', started('b'));
    expect(heard).toEqual(['a']);
    expect(events.listenerCount('sessionStarted')).toBe(0);
  });

  it('calls a listener with the context it was added with, or the emitter', () => {
    const events = new RuntimeEventEmitter();
    const context = { name: 'context' };
    const seen: unknown[] = [];
    events.on(
      'sessionStarted',
      function (this: unknown) {
        seen.push(this);
      },
      context,
    );
    events.on('sessionStarted', function (this: unknown) {
      seen.push(this);
    });
    events.safeEmit('sessionStarted', started('s'));
    expect(seen).toEqual([context, events]);
  });

  it('off and removeListener remove what on, addListener and once added; listeners returns the functions given', () => {
    const events = new RuntimeEventEmitter();
    const heard: string[] = [];
    const a = () => heard.push('a');
    const b = () => heard.push('b');
    const c = () => heard.push('c');
    events.on('sessionStarted', a).addListener('sessionStarted', b).once('sessionStarted', c);
    events.on('sessionStopped', a);
    expect(events.listeners('sessionStarted')).toEqual([a, b, c]);
    expect(events.listenerCount('sessionStarted')).toBe(3);
    events.off('sessionStarted', a);
    events.removeListener('sessionStarted', c, undefined, true);
    expect(events.listeners('sessionStarted')).toEqual([b]);
    events.safeEmit('sessionStarted', started('s'));
    events.safeEmit('sessionStopped', { sessionId: 's', reason: 'removed' });
    expect(heard).toEqual(['b', 'a']);
    events.removeListener('sessionStarted');
    expect(events.listenerCount('sessionStarted')).toBe(0);
  });

  it('emits to the listeners present when the event began: one added meanwhile waits, one removed still hears it', () => {
    const events = new RuntimeEventEmitter();
    const heard: string[] = [];
    const late = ({ sessionId }: { sessionId: string }) => heard.push(`late:${sessionId}`);
    const removed = ({ sessionId }: { sessionId: string }) => heard.push(`removed:${sessionId}`);
    events.on('sessionStarted', ({ sessionId }) => {
      heard.push(`first:${sessionId}`);
      events.off('sessionStarted', removed);
      events.on('sessionStarted', late);
    });
    events.on('sessionStarted', removed);
    events.safeEmit('sessionStarted', started('a'));
    expect(heard).toEqual(['first:a', 'removed:a']);
  });

  it('refuses a listener that is not a function, as eventemitter3 does', () => {
    const events = new RuntimeEventEmitter();
    expect(() => events.on('sessionStarted', 'nope' as never)).toThrow(TypeError);
    expect(events.listenerCount('sessionStarted')).toBe(0);
  });

  it('emitting an event nobody listens to calls nothing and returns', () => {
    const events = new RuntimeEventEmitter();
    const heard: string[] = [];
    events.on('sessionStopped', () => heard.push('stopped'));
    events.safeEmit('sessionStarted', started('s'));
    expect(heard).toEqual([]);
    expect(events.emit('sessionStarted', started('s'))).toBe(false);
  });
});
