/**
 * Messages for the check's scripts. Every sentence is translated on the server (gettext) and
 * arrives in the page's JSON configuration; scripts never hard-code user-visible text.
 */
export class Messages {
  /** @param {Record<string, string>} table key → translated text with %(name)s placeholders */
  constructor(table, lang) {
    this.table = table || {};
    this.lang = lang || 'nb';
  }

  /**
   * The translated text for `key`, with %(name)s replaced and %% turned into %.
   * @param {string} key
   * @param {Record<string, string|number>} [values]
   */
  t(key, values = {}) {
    const text = this.table[key] ?? '';
    return text.replace(/%\((\w+)\)[sd]|%%/g, (match, name) => (name ? String(values[name] ?? '') : '%'));
  }

  /** A number formatted for the page's language (Arabic digits where the locale uses them). */
  number(value, digits = 0, grouping = true) {
    return new Intl.NumberFormat(this.lang, {
      maximumFractionDigits: digits, minimumFractionDigits: digits, useGrouping: grouping }).format(value);
  }
}
