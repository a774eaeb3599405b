/**
 * The dashboard keeps itself fresh every few seconds, makes a new knock impossible to miss (sound,
 * page title, a highlighted row and an alert) and sends admit, deny, message and done. "Not now"
 * waits a few seconds with an Undo before it is sent: a misclick must not turn a patient away.
 */
import { chime } from '../shared/chime.js';
import { plural } from '../shared/plural.js';
import { postJson } from '../shared/post.js';

const UNDO_SECONDS = 6;

class Dashboard {
  /** @param {HTMLElement} $root element with data-module="pa-dashboard" */
  constructor($root) {
    this.$root = $root;
    this.url = $root.dataset.url;
    this.preferencesUrl = $root.dataset.preferencesUrl;
    this.poll = Math.max(1, Number($root.dataset.poll) || 3) * 1000;
    this.text = document.getElementById('pa-dashboard-messages').dataset;
    this.$rows = $root.querySelector('.pa-js-rows');
    this.$sound = $root.querySelector('.pa-js-sound');
    this.seen = null; // knock ids seen knocking; null until the first load
    this.sound = $root.dataset.sound === 'on'; // the staff member's choice, kept on the server
    this.baseTitle = this.text.titleBase; // the page's own title may already carry a count
    this.failures = 0;
    this.timer = null;
    this.asOf = null; // the moment of the rows on the screen, as the server said; null: ask for all

    /** @type {Map<string, {url: string, label: string, timer: number}>} "Not now" waiting to be sent */
    this.pending = new Map();
  }

  init() {
    this.$sound.addEventListener('click', () => this.toggleSound());
    this.showSoundHint();
    this.$rows.addEventListener('click', (event) => {
      const $undo = event.target.closest('button[data-undo]');
      if ($undo) {
        this.undo($undo.dataset.undo);
        return;
      }
      const $button = event.target.closest('button[data-action]');
      if ($button) this.act($button);
    });
    // Leaving the page sends what is still waiting: Undo is for seconds, not for never.
    window.addEventListener('pagehide', () => this.flush());
    // The browser knows when the network goes and comes back: say so at once, and refresh at once.
    window.addEventListener('offline', () => {
      this.failures = Math.max(this.failures, 2);
      this.showStale();
    });
    window.addEventListener('online', () => this.schedule(0));
    this.refresh();
  }

  schedule(delay) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refresh(), delay);
  }

  /** Two misses in a row (or no network): the list on the screen may be old, and a knock may not show. */
  showStale() {
    this.$root.querySelector('.pa-js-stale').hidden = this.failures < 2;
  }

  /** Browsers play sound only after the person has clicked or typed on the page once. */
  canPlay() {
    return !navigator.userActivation || navigator.userActivation.hasBeenActive;
  }

  showSoundHint() {
    const $hint = this.$root.querySelector('.pa-js-sound-blocked');
    $hint.hidden = !this.sound || this.canPlay();
    if (!$hint.hidden) {
      const clear = () => {
        $hint.hidden = true;
      };
      document.addEventListener('pointerdown', clear, { once: true });
      document.addEventListener('keydown', clear, { once: true });
    }
  }

  async toggleSound() {
    this.sound = !this.sound;
    this.$sound.setAttribute('aria-pressed', String(this.sound));
    this.$root.querySelector('.pa-js-sound-blocked').hidden = true;
    if (this.sound) this.chime();
    await postJson(this.preferencesUrl, { knockSound: this.sound }).catch(() => {}); // kept for this page anyway
  }

  /**
   * Fetch the board and show it; a lost session reloads the page, which leads to sign-in. The server
   * answers "unchanged" while nothing happened in the clinic since the rows on the screen were read;
   * after this page's own action (`all`), it is asked for every row.
   */
  async load(all = false) {
    const url = this.asOf && !all ? `${this.url}?asOf=${encodeURIComponent(this.asOf)}` : this.url;
    const response = await fetch(url, { credentials: 'same-origin', cache: 'no-store' });
    if (response.status === 401) {
      window.location.reload();
      return;
    }
    if (!response.ok) throw new Error(String(response.status));
    const data = await response.json();
    if (data.unchanged) return;
    this.asOf = this.render(data) ? data.asOf : null;
  }

  async refresh() {
    try {
      await this.load();
      this.failures = 0;
    } catch {
      this.failures += 1; // keep trying, a little slower each time
    }
    this.showStale();
    this.schedule(this.poll * Math.min(1 + this.failures, 5));
  }

  /** Show the board; false if its rows waited (a message list is open), to be asked for in full next time. */
  render(data) {
    const knocking = data.rows.filter((row) => row.state === 'knocking');
    const ids = new Set(knocking.map((row) => String(row.knock_id)));
    const fresh = this.seen ? [...ids].filter((id) => !this.seen.has(id)) : [];
    this.seen = ids;
    // The rows come as HTML from the server's one row template (escaped there). A staff member
    // choosing a message in a row's list is not interrupted: that refresh waits for the next.
    const $active = document.activeElement;
    const shown = !($active?.tagName === 'SELECT' && this.$rows.contains($active));
    if (shown) {
      // A message chosen but not yet sent stays chosen: the list may have been left a moment ago.
      const chosen = new Map();
      for (const $select of this.$rows.querySelectorAll('[data-knock] select')) {
        if ($select.selectedIndex > 0) chosen.set($select.closest('[data-knock]').dataset.knock, $select.value);
      }
      this.$rows.innerHTML = data.rowsHtml;
      for (const [knockId, value] of chosen) {
        const $select = this.row(knockId)?.querySelector('select');
        if ($select) $select.value = value;
      }
      for (const id of fresh) this.row(id)?.classList.add('pa-appt--new');
      for (const id of this.pending.keys()) this.showPending(id);
    }
    const $alert = this.$root.querySelector('.pa-js-alert');
    $alert.hidden = knocking.length === 0;
    $alert.querySelector('.pa-js-alert-text').textContent = plural(this.text.knocking, knocking.length);
    document.title = knocking.length
      ? `(${knocking.length}) ${this.text.titleKnock} – ${this.baseTitle}`
      : this.baseTitle;
    const $failures = this.$root.querySelector('.pa-js-failures');
    $failures.replaceChildren(
      ...data.handoffFailures.map((row) => {
        const p = document.createElement('p');
        p.className = 'pa-notice pa-notice--fail';
        p.setAttribute('role', 'alert');
        p.textContent = this.text.failure.replace('{label}', row.label);
        return p;
      }),
    );
    if (fresh.length && this.sound && this.canPlay()) this.chime();
    return shown;
  }

  row(knockId) {
    return this.$rows.querySelector(`[data-knock="${knockId}"]`);
  }

  /** A row's button: its address is on it (rendered by the server); a message takes its row's choice. */
  async act($button) {
    const $row = $button.closest('[data-knock]');
    if ($button.dataset.action === 'deny') {
      this.deferDeny($row.dataset.knock, $button.dataset.url, $row.querySelector('.pa-appt__who a')?.textContent ?? '');
      return;
    }
    const body = $button.dataset.action === 'message' ? { message: $row.querySelector('select').value } : {};
    $button.disabled = true;
    await this.send($button.dataset.url, body);
    $button.blur();
  }

  async send(url, body, options = {}) {
    const response = await postJson(url, body, options);
    if (!response.ok) {
      const data = await response.json().catch(() => ({}));
      window.alert(data.message || this.text.error);
    }
    await this.load(true).catch(() => {}); // the next refresh tries again
  }

  deferDeny(knockId, url, label) {
    if (this.pending.has(knockId)) return;
    const timer = window.setTimeout(() => this.sendDeny(knockId), UNDO_SECONDS * 1000);
    this.pending.set(knockId, { url, label, timer });
    this.showPending(knockId);
    this.row(knockId)?.querySelector('button[data-undo]')?.focus();
  }

  /** The row's actions give way to "sent in a few seconds" and an Undo button, until it is sent. */
  showPending(knockId) {
    const $row = this.row(knockId);
    const item = this.pending.get(knockId);
    if (!$row || !item || $row.querySelector('.pa-undo')) return;
    const $actions = $row.querySelector('.pa-appt__actions');
    for (const $child of $actions.children) $child.hidden = true;
    const $undo = document.createElement('span');
    $undo.className = 'pa-undo';
    $undo.setAttribute('role', 'status');
    const $text = document.createElement('span');
    $text.textContent = this.text.undoPending.replace('{label}', item.label);
    const $button = document.createElement('button');
    $button.type = 'button';
    $button.className = 'pa-button pa-button--secondary';
    $button.dataset.undo = knockId;
    $button.textContent = this.text.undo;
    $undo.append($text, ' ', $button);
    $actions.append($undo);
  }

  undo(knockId) {
    const item = this.pending.get(knockId);
    if (!item) return;
    window.clearTimeout(item.timer);
    this.pending.delete(knockId);
    const $row = this.row(knockId);
    if (!$row) return;
    const $undo = $row.querySelector('.pa-undo');
    for (const $child of $row.querySelector('.pa-appt__actions').children) $child.hidden = false;
    $undo.replaceChildren(this.text.undone);
    window.setTimeout(() => $undo.remove(), 4000);
    $row.querySelector('button[data-action="admit"]')?.focus();
  }

  async sendDeny(knockId) {
    const item = this.pending.get(knockId);
    if (!item) return;
    this.pending.delete(knockId);
    await this.send(item.url, {});
  }

  /** On leaving: what waits is sent now, and outlives the page (keepalive). */
  flush() {
    for (const [knockId, item] of this.pending) {
      window.clearTimeout(item.timer);
      postJson(item.url, {}, { keepalive: true }).catch(() => {});
      this.pending.delete(knockId);
    }
  }

  /** A short two-note chime, generated (no file to download). */
  chime() {
    chime([880, 660], { spacing: 0.25 }).catch(() => {}); // sound is a bonus: the title and page change anyway
  }
}

const $root = document.querySelector('[data-module="pa-dashboard"]');
if ($root) new Dashboard($root).init();
