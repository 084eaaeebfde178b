/**
 * The comparison as one self-contained SVG chart: a panel per figure (scenario and metric), a
 * horizontal bar per engine, ours highlighted. Pure: the same figures, machine line and date give the
 * same bytes, so the chart can be committed and diffed. No fonts, scripts or styles are fetched; the
 * chart paints its own background, so it reads the same on a light page and a dark one.
 *
 * Every panel is scaled to its best value, and the best bar is always the longest: for a rate the
 * bar is value ÷ best, for a latency, CPU time or size it is best ÷ value. Longer is better in every
 * panel; the printed number is the measured one.
 */
import { formatBytes, formatCount, formatMs } from './stats.js';
import type { Figure, FigureUnit } from './table.js';

/** What the chart shows besides the figures. */
export interface ChartInput {
  readonly figures: readonly Figure[];
  /** The machine line of the run (node version, cores, load average, mode). */
  readonly machine: string;
  /** When the run was made, as it should be printed, e.g. `2025-06-01 14:03 UTC`. */
  readonly date: string;
  /** Lines printed under the panels (scenarios that ran without a figure, failures). */
  readonly footnotes?: readonly string[];
}

/** The engine name that the chart highlights. */
export const OURS = 'ours';

const WIDTH = 960;
const PAD = 24;
const FONT = "-apple-system, BlinkMacSystemFont, 'Segoe UI', Helvetica, Arial, sans-serif";
const SIZE = { title: 18, panel: 14, body: 12 } as const;
/** An average glyph width as a share of the font size: generous for a sans-serif, so text fits. */
const GLYPH = 0.58;
const LABEL_WIDTH = 250;
const BAR_X = PAD + LABEL_WIDTH + 8;
/** Room kept right of the longest bar for its value. */
const VALUE_ROOM = 150;
const BAR_MAX = WIDTH - PAD - VALUE_ROOM - BAR_X;
const BAR_HEIGHT = 14;
const LINE = 15;
const COLOR = {
  background: '#ffffff',
  border: '#d0d7de',
  text: '#1f2328',
  muted: '#59636e',
  ours: '#0969da',
  other: '#8c959f',
  track: '#f0f3f6',
} as const;

/** Escapes text for an XML text node or an attribute value. */
export function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}

/** `value` in `unit`, as the tables print it. */
export function formatValue(value: number, unit: FigureUnit): string {
  if (!Number.isFinite(value)) return 'n/a';
  switch (unit) {
    case 'ms':
      return formatMs(value);
    case 'bytes':
      return formatBytes(value);
    case 'µs/call':
      return `${value.toFixed(1)} µs/call`;
    default:
      return `${formatCount(value)} ${unit}`;
  }
}

/**
 * Each engine's bar as a share of the longest (0–1): value ÷ best when higher is better, best ÷
 * value when lower is. A value that is not a finite number ≥ 0 gets no bar (`undefined`).
 */
export function barShares(figure: Figure): ReadonlyMap<string, number | undefined> {
  const entries = Object.entries(figure.values);
  const usable = entries.map(([, value]) => value).filter((value) => Number.isFinite(value) && value >= 0);
  const best = figure.higherIsBetter ? Math.max(...usable) : Math.min(...usable);
  const shares = new Map<string, number | undefined>();
  for (const [engine, value] of entries) {
    if (!Number.isFinite(value) || value < 0) shares.set(engine, undefined);
    else if (figure.higherIsBetter) shares.set(engine, best > 0 ? value / best : 1);
    else shares.set(engine, value > 0 ? best / value : 1);
  }
  return shares;
}

/** Splits `text` into lines of at most `width` px at `size` px, at spaces (a long word stands alone). */
export function wrap(text: string, width: number, size: number): string[] {
  const perLine = Math.max(1, Math.floor(width / (size * GLYPH)));
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    const candidate = line === '' ? word : `${line} ${word}`;
    if (candidate.length <= perLine || line === '') line = candidate;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** Coordinates with at most one decimal, so the output does not depend on float noise. */
function px(value: number): string {
  return String(Math.round(value * 10) / 10);
}

interface TextOptions {
  readonly size: number;
  readonly fill: string;
  readonly weight?: 'bold';
  readonly anchor?: 'end';
}

function text(x: number, y: number, content: string, options: TextOptions): string {
  const weight = options.weight === undefined ? '' : ` font-weight="${options.weight}"`;
  const anchor = options.anchor === undefined ? '' : ` text-anchor="${options.anchor}"`;
  return `<text x="${px(x)}" y="${px(y)}" font-size="${options.size}" fill="${options.fill}"${weight}${anchor}>${escapeXml(content)}</text>`;
}

/** The lines of `lines`, one under another from baseline `y`; returns the markup and the next y. */
function textBlock(
  x: number,
  y: number,
  lines: readonly string[],
  options: TextOptions,
): { markup: string[]; next: number } {
  const markup = lines.map((line, index) => text(x, y + index * (options.size + 4), line, options));
  return { markup, next: y + lines.length * (options.size + 4) };
}

/**
 * One panel from its top `y`; returns its markup and its height. `titled`: print the scenario above
 * the metric (a figure of the same scenario as the one before it shares that one's title).
 */
function panel(figure: Figure, y: number, titled: boolean): { markup: string[]; height: number } {
  const markup: string[] = [];
  const inner = WIDTH - 2 * PAD;
  const title = titled
    ? textBlock(PAD, y + SIZE.panel, wrap(figure.scenario, inner, SIZE.panel), {
        size: SIZE.panel,
        fill: COLOR.text,
        weight: 'bold',
      })
    : { markup: [], next: y };
  markup.push(...title.markup);
  const direction = figure.higherIsBetter ? 'higher is better' : 'lower is better; bar = best ÷ value';
  const subtitle = [`${figure.metric} (${direction})`, ...(figure.note === undefined ? [] : [figure.note])];
  const sub = textBlock(
    PAD,
    titled ? title.next + 2 : y + SIZE.body,
    wrap(subtitle.join(' · '), inner, SIZE.body),
    {
      size: SIZE.body,
      fill: COLOR.muted,
    },
  );
  markup.push(...sub.markup);
  let rowTop = sub.next - SIZE.body + 2;
  const shares = barShares(figure);
  for (const [engine, value] of Object.entries(figure.values)) {
    const ours = engine === OURS;
    const labels = wrap(engine, LABEL_WIDTH, SIZE.body);
    const rowHeight = Math.max(BAR_HEIGHT + 8, labels.length * LINE + 6);
    const middle = rowTop + rowHeight / 2;
    const labelTop = middle - (labels.length * LINE) / 2 + SIZE.body - 1;
    labels.forEach((line, index) => {
      markup.push(
        text(BAR_X - 8, labelTop + index * LINE, line, {
          size: SIZE.body,
          fill: ours ? COLOR.ours : COLOR.text,
          anchor: 'end',
          ...(ours ? { weight: 'bold' as const } : {}),
        }),
      );
    });
    const share = shares.get(engine);
    const barTop = middle - BAR_HEIGHT / 2;
    markup.push(
      `<rect x="${px(BAR_X)}" y="${px(barTop)}" width="${px(BAR_MAX)}" height="${BAR_HEIGHT}" fill="${COLOR.track}"/>`,
    );
    const barWidth = share === undefined ? 0 : Math.max(2, share * BAR_MAX);
    if (share !== undefined) {
      markup.push(
        `<rect x="${px(BAR_X)}" y="${px(barTop)}" width="${px(barWidth)}" height="${BAR_HEIGHT}" rx="2" fill="${ours ? COLOR.ours : COLOR.other}"/>`,
      );
    }
    markup.push(
      text(BAR_X + Math.max(barWidth, 0) + 6, middle + SIZE.body / 2 - 2, formatValue(value, figure.unit), {
        size: SIZE.body,
        fill: ours ? COLOR.ours : COLOR.text,
        ...(ours ? { weight: 'bold' as const } : {}),
      }),
    );
    rowTop += rowHeight;
  }
  return { markup, height: rowTop - y };
}

/**
 * The chart of `input.figures`, in their order, as a complete SVG document (UTF-8, no external
 * resources). The same input gives the same output.
 */
export function renderChart(input: ChartInput): string {
  const body: string[] = [];
  const inner = WIDTH - 2 * PAD;
  let y = PAD;
  const title = textBlock(
    PAD,
    y + SIZE.title,
    ['mcp-session-runtime bench: ours against the official SDK and the baselines'],
    { size: SIZE.title, fill: COLOR.text, weight: 'bold' },
  );
  body.push(...title.markup);
  const machineLines = input.machine.split('; ').flatMap((part) => wrap(part, inner, SIZE.body));
  const about = textBlock(PAD, title.next + 2, [input.date, ...machineLines], {
    size: SIZE.body,
    fill: COLOR.muted,
  });
  body.push(...about.markup);
  const legend = textBlock(
    PAD,
    about.next + 2,
    wrap(
      'Each panel is scaled to its best value: the best bar is the longest, also where lower wins (bar = best ÷ value). Ours in blue; numbers are medians of the same run, interleaved.',
      inner,
      SIZE.body,
    ),
    { size: SIZE.body, fill: COLOR.muted },
  );
  body.push(...legend.markup);
  y = legend.next + 8;
  if (input.figures.length === 0) {
    const none = textBlock(PAD, y + SIZE.body, ['No figures were recorded in this run.'], {
      size: SIZE.body,
      fill: COLOR.text,
    });
    body.push(...none.markup);
    y = none.next;
  }
  let previous: string | undefined;
  for (const figure of input.figures) {
    const titled = figure.scenario !== previous;
    previous = figure.scenario;
    if (titled) {
      body.push(
        `<line x1="${PAD}" y1="${px(y)}" x2="${WIDTH - PAD}" y2="${px(y)}" stroke="${COLOR.border}" stroke-width="1"/>`,
      );
    }
    const drawn = panel(figure, y + (titled ? 10 : 2), titled);
    body.push(...drawn.markup);
    y += (titled ? 10 : 2) + drawn.height + 6;
  }
  const notes = (input.footnotes ?? []).flatMap((note) => wrap(note, inner, SIZE.body));
  if (notes.length > 0) {
    body.push(
      `<line x1="${PAD}" y1="${px(y)}" x2="${WIDTH - PAD}" y2="${px(y)}" stroke="${COLOR.border}" stroke-width="1"/>`,
    );
    const footer = textBlock(PAD, y + 8 + SIZE.body, notes, { size: SIZE.body, fill: COLOR.muted });
    body.push(...footer.markup);
    y = footer.next;
  }
  const height = Math.ceil(y + PAD);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="${escapeXml(FONT)}" role="img" aria-labelledby="chart-title">`,
    `<title id="chart-title">${escapeXml(`mcp-session-runtime bench, ${input.date}`)}</title>`,
    `<rect width="${WIDTH}" height="${height}" rx="6" fill="${COLOR.background}" stroke="${COLOR.border}"/>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
