/**
 * HTML by tagged templates with ghtml: every `${value}` is escaped (`& < > " ' =`), whatever
 * Unicode it holds; only `!${...}` inserts raw text, and the portal uses it solely for markup
 * that `html` itself produced (nested templates, lists of them). ghtml needs no build step and
 * no JSX transform, which Node's type stripping would not do.
 */
export { html } from 'ghtml';
