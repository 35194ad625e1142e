/**
 * SVG charts of the results, written beside `docs/benchmarks.md` by the benchmark itself (plain
 * SVG text, no library, no external service): throughput (ops/s or requests/s, median bar and
 * min-max whisker over the rounds) and latency percentiles (p50, p99, max). One panel per table
 * group, each with its own linear scale starting at 0, since the groups differ by orders of
 * magnitude.
 */

export interface ThroughputRow {
  readonly label: string;
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** Shown after the bar: the ratio to the row's baseline, say. */
  readonly note: string;
  /** A baseline row (raw client, bare await, bare Koa) is drawn in grey. */
  readonly baseline: boolean;
  /** tiercache's own rows are drawn in blue, the peers' in orange. */
  readonly ours: boolean;
}

export interface LatencyRow {
  readonly label: string;
  readonly p50: number;
  readonly p99: number;
  /** Left out where it says nothing (a pooled max over a shared machine's HTTP run). */
  readonly max?: number;
  readonly baseline: boolean;
  /** tiercache's own rows are drawn in blue, the peers' in orange. */
  readonly ours: boolean;
}

export interface Panel<Row> {
  readonly title: string;
  readonly unit: string;
  readonly rows: readonly Row[];
}

const WIDTH = 1080;
const LABEL_WIDTH = 470;
const PLOT_WIDTH = 320;
/** Labels longer than this (at about 6 px a character) are cut, with an ellipsis. */
const LABEL_CHARS = 70;
const ROW_HEIGHT = 20;
const TITLE_HEIGHT = 28;
const GAP = 14;
const COLORS = { ours: '#2f6db5', peer: '#e08a1e', baseline: '#9a9a9a', whisker: '#333', text: '#222', grid: '#e3e3e3' };

function label(text: string): string {
  return escape(text.length <= LABEL_CHARS ? text : `${text.slice(0, LABEL_CHARS - 1)}…`);
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** `12.3M`, `456k`, `7.89`: three significant digits. */
function compact(value: number): string {
  if (value >= 1e6) return `${(value / 1e6).toPrecision(3)}M`;
  if (value >= 1e3) return `${(value / 1e3).toPrecision(3)}k`;
  return value.toPrecision(3);
}

/** A round axis end at or above `value`: 1, 2 or 5 times a power of ten. */
function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

function document(title: string, height: number, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">`,
    `<title>${escape(title)}</title>`,
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

/** The axis of a panel: a few grid lines with their values. */
function axis(top: number, rows: number, max: number, unit: string): string[] {
  const out: string[] = [];
  const bottom = top + rows * ROW_HEIGHT;
  for (let i = 0; i <= 4; i++) {
    const x = LABEL_WIDTH + (PLOT_WIDTH * i) / 4;
    out.push(`<line x1="${x}" y1="${top}" x2="${x}" y2="${bottom}" stroke="${COLORS.grid}"/>`);
    out.push(`<text x="${x}" y="${bottom + 12}" text-anchor="middle" fill="#666" font-size="10">${escape(compact((max * i) / 4))}</text>`);
  }
  out.push(`<text x="${LABEL_WIDTH + PLOT_WIDTH + 24}" y="${bottom + 12}" fill="#666" font-size="10">${escape(unit)}</text>`);
  return out;
}

function panelHeight(rows: number): number {
  return TITLE_HEIGHT + rows * ROW_HEIGHT + 16 + GAP;
}

export function throughputChart(title: string, panels: readonly Panel<ThroughputRow>[]): string {
  const body: string[] = [`<text x="10" y="22" font-size="15" font-weight="600" fill="${COLORS.text}">${escape(title)}</text>`];
  let y = 34;
  for (const panel of panels) {
    body.push(`<text x="10" y="${y + 18}" font-weight="600" fill="${COLORS.text}">${escape(panel.title)}</text>`);
    const top = y + TITLE_HEIGHT;
    const max = niceMax(Math.max(...panel.rows.map((r) => r.max)));
    body.push(...axis(top, panel.rows.length, max, panel.unit));
    panel.rows.forEach((row, i) => {
      const cy = top + i * ROW_HEIGHT + ROW_HEIGHT / 2;
      const scale = (v: number): number => LABEL_WIDTH + (PLOT_WIDTH * Math.max(0, v)) / max;
      const color = row.baseline ? COLORS.baseline : row.ours ? COLORS.ours : COLORS.peer;
      body.push(`<text x="${LABEL_WIDTH - 8}" y="${cy + 4}" text-anchor="end" fill="${COLORS.text}">${label(row.label)}</text>`);
      body.push(`<rect x="${LABEL_WIDTH}" y="${cy - 6}" width="${(scale(row.median) - LABEL_WIDTH).toFixed(1)}" height="12" fill="${color}"/>`);
      body.push(`<line x1="${scale(row.min).toFixed(1)}" y1="${cy}" x2="${scale(row.max).toFixed(1)}" y2="${cy}" stroke="${COLORS.whisker}"/>`);
      for (const end of [row.min, row.max]) body.push(`<line x1="${scale(end).toFixed(1)}" y1="${cy - 4}" x2="${scale(end).toFixed(1)}" y2="${cy + 4}" stroke="${COLORS.whisker}"/>`);
      body.push(`<text x="${LABEL_WIDTH + PLOT_WIDTH + 8}" y="${cy + 4}" fill="${COLORS.text}">${escape(`${compact(row.median)}${row.note === '' ? '' : `  ${row.note}`}`)}</text>`);
    });
    y += panelHeight(panel.rows.length);
  }
  body.push(
    `<text x="10" y="${y + 4}" fill="#666" font-size="11">Bars: median over the rounds; whiskers: min-max. ` +
      `Blue: tiercache; orange: peers; grey: raw baselines. The figure after a bar is its ratio to its baseline, in the same run.</text>`,
  );
  return document(title, y + 16, body);
}

export function latencyChart(title: string, panels: readonly Panel<LatencyRow>[]): string {
  const body: string[] = [`<text x="10" y="22" font-size="15" font-weight="600" fill="${COLORS.text}">${escape(title)}</text>`];
  let y = 34;
  for (const panel of panels) {
    body.push(`<text x="10" y="${y + 18}" font-weight="600" fill="${COLORS.text}">${escape(panel.title)}</text>`);
    const top = y + TITLE_HEIGHT;
    const max = niceMax(Math.max(...panel.rows.map((r) => r.max ?? r.p99)));
    body.push(...axis(top, panel.rows.length, max, panel.unit));
    panel.rows.forEach((row, i) => {
      const cy = top + i * ROW_HEIGHT + ROW_HEIGHT / 2;
      const scale = (v: number): number => LABEL_WIDTH + (PLOT_WIDTH * Math.max(0, v)) / max;
      const color = row.baseline ? COLORS.baseline : row.ours ? COLORS.ours : COLORS.peer;
      body.push(`<text x="${LABEL_WIDTH - 8}" y="${cy + 4}" text-anchor="end" fill="${COLORS.text}">${label(row.label)}</text>`);
      // p50 to p99 as a bar, the max as a thin line beyond it.
      if (row.max !== undefined) body.push(`<line x1="${scale(row.p99).toFixed(1)}" y1="${cy}" x2="${scale(row.max).toFixed(1)}" y2="${cy}" stroke="${color}" stroke-dasharray="2,2"/>`);
      body.push(`<rect x="${scale(row.p50).toFixed(1)}" y="${cy - 6}" width="${Math.max(1, scale(row.p99) - scale(row.p50)).toFixed(1)}" height="12" fill="${color}" fill-opacity="0.45"/>`);
      body.push(`<line x1="${scale(row.p50).toFixed(1)}" y1="${cy - 7}" x2="${scale(row.p50).toFixed(1)}" y2="${cy + 7}" stroke="${color}" stroke-width="3"/>`);
      body.push(
        `<text x="${LABEL_WIDTH + PLOT_WIDTH + 8}" y="${cy + 4}" fill="${COLORS.text}">${escape(`p50 ${row.p50.toPrecision(3)}, p99 ${row.p99.toPrecision(3)}${row.max === undefined ? '' : `, max ${row.max.toPrecision(3)}`} ${panel.unit}`)}</text>`,
      );
    });
    y += panelHeight(panel.rows.length);
  }
  body.push(
    `<text x="10" y="${y + 4}" fill="#666" font-size="11">Thick tick: p50; bar: p50 to p99; dashed: p99 to max (across processes). ` +
      `Blue: tiercache; orange: peers; grey: raw baselines measured in the same run.</text>`,
  );
  return document(title, y + 16, body);
}
