/**
 * HTML by tagged templates with ghtml: every `${value}` is escaped (`& < > " ' =`), whatever
 * Unicode it holds; only `!${...}` inserts raw text, and the portal uses it solely for markup
 * that `html` itself produced (nested templates, lists of them). ghtml needs no build step and
 * no JSX transform, which Node's type stripping would not do.
 */
import { html } from 'ghtml';

export { html };

/** A header cell: a column name, or `{ muted }` for a quiet one (an action column). */
export type Column = string | { readonly muted: string };

/**
 * The portal's one table: column headers over rows made by `html`, inside `.table-wrap` so a wide
 * table scrolls sideways on a phone instead of widening the page.
 */
export function dataTable(columns: readonly Column[], rows: readonly string[] | string): string {
  const headers = columns.map((c) =>
    typeof c === 'string'
      ? html`<th scope="col">${c}</th>`
      : html`<th scope="col"><span class="muted">${c.muted}</span></th>`,
  );
  return html`<div class="table-wrap">
    <table>
      <thead>
        <tr>
          !${headers}
        </tr>
      </thead>
      <tbody>
        !${rows}
      </tbody>
    </table>
  </div>`;
}
