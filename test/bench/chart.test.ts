/**
 * The bench chart (bench/harness/chart.ts): a pure renderer from the figures of a run to one SVG
 * document. These tests pin what a reader relies on: the same input gives the same bytes, text is
 * escaped, each panel is scaled to its best value, ours is highlighted, and nothing is fetched.
 */
import { describe, expect, it } from 'vitest';
import { barShares, escapeXml, formatValue, renderChart, wrap } from '../../bench/harness/chart.js';
import type { Figure } from '../../bench/harness/table.js';
import { Report } from '../../bench/harness/table.js';

const rate: Figure = {
  scenario: 'HTTP JSON: tools/call echo, 50 sessions closed loop',
  metric: 'tools/call per second',
  unit: 'calls/s',
  higherIsBetter: true,
  values: { ours: 26_400, 'official SDK 1.x': 5_280 },
};

const latency: Figure = {
  scenario: 'head-of-line: 1 session with a 50 ms handler, 99 others trivial',
  metric: "the other sessions' p99 latency",
  unit: 'ms',
  higherIsBetter: false,
  values: { ours: 0.5, 'global lock (same protocol work)': 50 },
};

const input = {
  figures: [rate, latency],
  machine: 'node v20.0.0, 2 × Test CPU, 8 GiB; load average 0.10 0.20 0.30; mode quick',
  date: '2025-01-02 03:04 UTC',
};

/** The `width` attributes of the bars drawn in the colour of `fill`, in document order. */
function barWidths(svg: string, fill: string): number[] {
  return [...svg.matchAll(new RegExp(`<rect [^>]*width="([\\d.]+)"[^>]*rx="2" fill="${fill}"`, 'g'))].map(
    (match) => Number(match[1]),
  );
}

describe('bench chart', () => {
  it('renders the same bytes for the same input', () => {
    expect(renderChart(input)).toBe(renderChart({ ...input, figures: [...input.figures] }));
  });

  it('is a standalone SVG document with its own background and no external resource', () => {
    const svg = renderChart(input);
    expect(
      svg.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"'),
    ).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toMatch(/<rect width="960" height="\d+" rx="6" fill="#ffffff"/);
    expect(svg).not.toMatch(/<script|<image|<style|@import|href=|url\(/);
  });

  it('prints the machine line, the date, every scenario and every value with its unit', () => {
    const svg = renderChart(input);
    expect(svg).toContain('2025-01-02 03:04 UTC');
    expect(svg).toContain('node v20.0.0, 2 × Test CPU, 8 GiB');
    expect(svg).toContain('load average 0.10 0.20 0.30');
    expect(svg).toContain('HTTP JSON: tools/call echo, 50 sessions closed loop');
    expect(svg).toContain('26.4 k calls/s');
    expect(svg).toContain('5.28 k calls/s');
    expect(svg).toContain('0.500 ms');
    expect(svg).toContain('50.0 ms');
  });

  it('escapes text for XML', () => {
    const svg = renderChart({
      ...input,
      machine: 'a <b> & "c"',
      figures: [{ ...rate, scenario: 'x < y & z', values: { ours: 1, "<script>'": 2 } }],
    });
    expect(svg).toContain('a &lt;b&gt; &amp; &quot;c&quot;');
    expect(svg).toContain('x &lt; y &amp; z');
    expect(svg).toContain('&lt;script&gt;&apos;');
    expect(svg).not.toContain('<script');
    expect(escapeXml(`<&>"'`)).toBe('&lt;&amp;&gt;&quot;&apos;');
  });

  it('scales each panel to its best value: the best bar is full length, higher or lower being better', () => {
    expect(barShares(rate)).toEqual(
      new Map([
        ['ours', 1],
        ['official SDK 1.x', 0.2],
      ]),
    );
    expect(barShares(latency)).toEqual(
      new Map([
        ['ours', 1],
        ['global lock (same protocol work)', 0.01],
      ]),
    );
    const slower = barShares({ ...rate, values: { ours: 10, other: 40 } });
    expect(slower.get('ours')).toBe(0.25);
    expect(slower.get('other')).toBe(1);
  });

  it('draws ours in the highlight colour and the others in grey, never narrower than 2 px', () => {
    const svg = renderChart(input);
    const ours = barWidths(svg, '#0969da');
    const others = barWidths(svg, '#8c959f');
    expect(ours).toHaveLength(2);
    expect(others).toHaveLength(2);
    const full = ours[0] as number;
    expect(ours[1]).toBe(full);
    expect(others[0]).toBeCloseTo(full * 0.2, 0);
    expect(others[1]).toBe(Math.max(2, Math.round(full * 0.01 * 10) / 10));
  });

  it('draws no bar for a value that is not a finite number, and prints n/a', () => {
    const figure: Figure = { ...rate, values: { ours: Number.NaN, other: 100 } };
    expect(barShares(figure).get('ours')).toBeUndefined();
    const svg = renderChart({ ...input, figures: [figure] });
    expect(svg).toContain('>n/a</text>');
    expect(barWidths(svg, '#0969da')).toEqual([]);
  });

  it('prints one title for consecutive figures of the same scenario', () => {
    const svg = renderChart({ ...input, figures: [rate, { ...rate, metric: 'p99 latency', unit: 'ms' }] });
    expect(svg.split(rate.scenario)).toHaveLength(2);
    expect(svg).toContain('p99 latency (higher is better)');
  });

  it('says so when a run recorded no figure, and prints the footnotes', () => {
    const svg = renderChart({ ...input, figures: [], footnotes: ['Ran without a figure: tasks'] });
    expect(svg).toContain('No figures were recorded in this run.');
    expect(svg).toContain('Ran without a figure: tasks');
  });

  it('formats values as the tables do', () => {
    expect(formatValue(1_234_567, 'msg/s')).toBe('1.23 M msg/s');
    expect(formatValue(2_611, 'bytes')).toBe('2.55 KiB');
    expect(formatValue(38.34, 'µs/call')).toBe('38.3 µs/call');
    expect(formatValue(Number.POSITIVE_INFINITY, 'ms')).toBe('n/a');
  });

  it('wraps text at spaces into lines that fit, a long word on its own line', () => {
    expect(wrap('naive XState (actor per session, fromPromise per message)', 250, 12)).toEqual([
      'naive XState (actor per session,',
      'fromPromise per message)',
    ]);
    expect(wrap('abcdefghijklmnop', 20, 12)).toEqual(['abcdefghijklmnop']);
  });
});

describe('Report figures', () => {
  it('keeps the figures in the order the scenarios recorded them', () => {
    const report = new Report();
    report.figure(rate);
    report.figure(latency);
    expect(report.figures).toEqual([rate, latency]);
  });
});
