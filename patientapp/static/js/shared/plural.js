/**
 * A count in words, in the page's language. The server translates every plural form with gettext and
 * hands the page a table of CLDR category → sentence with {n} for the number (i18n.plural_forms);
 * Intl.PluralRules picks the category here, so Arabic gets its six forms and Polish its three.
 */
const rules = new Map();

/**
 * @param {string} json the data-* attribute holding the table, e.g. {"one": "…{n}…", "other": "…"}
 * @param {number} n
 * @param {string} lang the page's language (html[lang])
 */
export function plural(json, n, lang = document.documentElement.lang) {
  let table;
  try {
    table = JSON.parse(json || '{}');
  } catch {
    return '';
  }
  if (!rules.has(lang)) rules.set(lang, new Intl.PluralRules(lang));
  const text = table[rules.get(lang).select(n)] ?? table.other ?? '';
  // Western digits, as every date and time on the page is written.
  return text.replace('{n}', String(n));
}
