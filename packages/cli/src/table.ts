/**
 * Aligned columns for the listings of `writ tasks` and `writ calls`.
 */

/**
 * One cell: its text (already escaped for the terminal), optionally coloured, then optionally more text
 * that is never coloured (what came from a log: a colour says what the CLI concluded, never what a log
 * field spells).
 *
 * @example
 * ```ts
 * const cell: Cell = { text: 'granted', paint: c.green, rest: ` by ${safeTerminalText(approver)}` };
 * ```
 */
export interface Cell {
  readonly text: string;
  readonly paint?: (text: string) => string;
  readonly rest?: string;
}

/** Width of a text as a terminal shows it, counted in code points (wide characters count one). */
const width = (text: string) => [...text].length;

/**
 * Lays out a header and rows as aligned columns, two spaces apart, the last column unpadded. The header
 * is painted with `header`.
 *
 * @example
 * ```ts
 * for (const line of formatTable(['TOOL', 'DECISION'], [[{ text: 'lookup' }, { text: 'allow', paint: c.green }]], c.dim)) ctx.print(line);
 * ```
 */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly Cell[])[],
  paintHeader: (text: string) => string = (text) => text,
): string[] {
  const full = (cell: Cell | undefined) => `${cell?.text ?? ''}${cell?.rest ?? ''}`;
  const widths = header.map((h, i) => Math.max(width(h), ...rows.map((row) => width(full(row[i])))));
  const line = (cells: readonly Cell[], paint?: (text: string) => string) =>
    cells
      .map((cell, i) => {
        const pad = i === cells.length - 1 ? '' : ' '.repeat((widths[i] ?? 0) - width(full(cell)));
        const painter = paint ?? cell.paint;
        return `${painter === undefined ? cell.text : painter(cell.text)}${cell.rest ?? ''}${pad}`;
      })
      .join('  ')
      .trimEnd();
  return [
    line(
      header.map((text) => ({ text })),
      paintHeader,
    ),
    ...rows.map((row) => line(row)),
  ];
}

/**
 * `text` cut to `max` code points, with `…` when cut.
 *
 * @example
 * ```ts
 * truncate('Refund order 42 and tell the customer', 12); // 'Refund orde…'
 * ```
 */
export function truncate(text: string, max: number): string {
  const points = [...text];
  return points.length <= max ? text : `${points.slice(0, max - 1).join('')}…`;
}
