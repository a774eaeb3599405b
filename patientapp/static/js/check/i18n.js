/**
 * Messages for the check's scripts. Every sentence is translated on the server (gettext) and
 * arrives in the page's JSON configuration; scripts never hard-code user-visible text.
 */
export class Messages {
  /** @param {Record<string, string>} table key → translated text with %(name)s placeholders */
  constructor(table, lang) {
    this.table = table || {};
    this.lang = lang || 'nb';
    // Western digits, as the server's Babel formats dates and times: one page, one kind of digit.
    this.locale = `${this.lang}-u-nu-latn`;
    // Building a formatter costs far more than using one (the check's costliest main-thread work
    // on a phone): one per kind, kept.
    this.formats = new Map();
  }

  format(options) {
    const key = JSON.stringify(options);
    if (!this.formats.has(key)) this.formats.set(key, new Intl.NumberFormat(this.locale, options));
    return this.formats.get(key);
  }

  /**
   * The translated text for `key`, with %(name)s replaced and %% turned into %.
   * @param {string} key
   * @param {Record<string, string|number>} [values]
   */
  t(key, values = {}) {
    const text = this.table[key] ?? '';
    return text.replace(/%\((\w+)\)[sd]|%%/g, (_match, name) => (name ? String(values[name] ?? '') : '%'));
  }

  /** A percentage (0–100) as the page's language writes it: "68 %", "68%", "٦٨٪". */
  percent(value) {
    return this.format({ style: 'percent', maximumFractionDigits: 0 }).format(value / 100);
  }

  /** A number formatted for the page's language (decimal comma in nb, and so on). */
  number(value, digits = 0, grouping = true) {
    return this.format({ maximumFractionDigits: digits, minimumFractionDigits: digits, useGrouping: grouping })
      .format(value);
  }
}
