import { type Painter, painter, type Tone } from './color.ts';

/** One cell: its text and, optionally, the tone it is painted in. */
export interface Cell {
  text: string;
  tone?: Tone | undefined;
}

/** A cell from plain text, or from text and tone. */
export function cell(text: string | undefined, tone?: Tone): Cell {
  return { text: text ?? '', tone };
}

/** How a table is laid out. */
export interface TableOptions {
  /** Total width available (a terminal's columns); the last column is cut to fit with `…`. */
  maxWidth?: number | undefined;
  paint?: Painter;
}

/** Columns are separated like kubectl's (three spaces), so berth's tables read like `kubectl get`. */
const GAP = '   ';

/**
 * Renders rows under upper-case headers, columns padded to their widest cell, trailing spaces
 * trimmed. Colour is applied after padding, so painted cells line up. Newlines inside a cell are
 * flattened to spaces: one object, one line.
 */
export function renderTable(
  headers: readonly string[],
  rows: readonly Cell[][],
  options: TableOptions = {},
): string {
  const paint = options.paint ?? painter(false);
  const flat = (t: string) => t.replace(/\s*\n\s*/g, ' ');
  const body = rows.map((r) => headers.map((_, i) => ({ text: flat(r[i]?.text ?? ''), tone: r[i]?.tone })));
  const widths = headers.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]?.text.length ?? 0)));
  const last = headers.length - 1;
  if (options.maxWidth !== undefined && last >= 0) {
    const before = widths.slice(0, last).reduce((sum, w) => sum + w + GAP.length, 0);
    widths[last] = Math.max(
      headers[last]?.length ?? 0,
      Math.min(widths[last] ?? 0, options.maxWidth - before),
    );
  }
  const line = (cells: Cell[]) =>
    cells
      .map((c, i) => {
        const width = widths[i] ?? 0;
        const text = c.text.length > width ? `${c.text.slice(0, Math.max(0, width - 1))}…` : c.text;
        const padded = i === last ? text : text.padEnd(width);
        return paint(padded, c.tone);
      })
      .join(GAP)
      .trimEnd();
  return `${[line(headers.map((h) => ({ text: h.toUpperCase() }))), ...body.map(line)].join('\n')}\n`;
}
