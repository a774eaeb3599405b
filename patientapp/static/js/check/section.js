/**
 * One check's section on the page: its status (data-status, a word and a sentence), its advice and
 * a link to the matching guide. Status changes are announced through the page's polite live region.
 */
export class CheckSection {
  /**
   * @param {HTMLElement} $root the element with data-check
   * @param {import('./i18n.js').Messages} messages
   * @param {(text: string) => void} announce
   * @param {{url: string, title: string}|undefined} guide
   */
  constructor($root, messages, announce, guide) {
    this.$root = $root;
    this.name = $root.dataset.check;
    this.messages = messages;
    this.announce = announce;
    this.guide = guide;
    this.$word = $root.querySelector('.pa-js-status-word');
    this.$message = $root.querySelector('.pa-js-message');
    this.$help = $root.querySelector('.pa-js-help');
    this.listeners = [];
  }

  get status() {
    return this.$root.dataset.status;
  }

  get title() {
    return this.$root.querySelector('h2').textContent.trim();
  }

  /** Call `listener(section)` whenever the status changes. */
  onChange(listener) {
    this.listeners.push(listener);
  }

  /**
   * Show a result.
   * @param {'pending'|'ok'|'warn'|'fail'} status
   * @param {string} message already translated
   * @param {string[]} [advice] extra translated sentences shown under the status
   * @param {{url: string, title: string}} [guide] overrides the section's own guide
   */
  set(status, message, advice = [], guide = undefined) {
    const changed = status !== this.status || message !== this.$message.textContent;
    this.$root.dataset.status = status;
    this.$word.textContent = this.messages.t(`status.${status}`) + (message ? ':' : '');
    this.$message.textContent = message;
    this.renderHelp(status === 'ok' || status === 'pending' ? [] : advice, guide || this.guide, status);
    if (changed) {
      if (status !== 'pending') this.announce(`${this.title}: ${this.$word.textContent} ${message}`);
      for (const listener of this.listeners) listener(this);
    }
  }

  /** Show "checking …" while a check runs. */
  checking() {
    this.$root.dataset.status = 'pending';
    this.$word.textContent = this.messages.t('checking');
    this.$message.textContent = '';
    this.renderHelp([], undefined, 'pending');
  }

  renderHelp(advice, guide, status) {
    if (!this.$help) return;
    this.$help.replaceChildren();
    for (const sentence of advice) {
      const p = document.createElement('p');
      p.textContent = sentence;
      this.$help.append(p);
    }
    if (guide && (status === 'warn' || status === 'fail')) {
      const p = document.createElement('p');
      const a = document.createElement('a');
      a.href = guide.url;
      a.textContent = guide.title;
      p.append(a);
      this.$help.append(p);
    }
    this.$help.hidden = this.$help.childElementCount === 0;
  }
}
