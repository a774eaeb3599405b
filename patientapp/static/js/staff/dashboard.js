/**
 * The dashboard keeps itself fresh every few seconds, makes a new knock impossible to miss (sound,
 * page title, a highlighted row and an alert) and sends admit, deny, message and done.
 */
import { chime } from '../shared/chime.js';
import { plural } from '../shared/plural.js';
import { postJson } from '../shared/post.js';

class Dashboard {
  /** @param {HTMLElement} $root element with data-module="pa-dashboard" */
  constructor($root) {
    this.$root = $root;
    this.url = $root.dataset.url;
    this.poll = Math.max(1, Number($root.dataset.poll) || 3) * 1000;
    this.text = document.getElementById('pa-dashboard-messages').dataset;
    this.$rows = $root.querySelector('.pa-js-rows');
    this.seen = null; // knock ids seen knocking; null until the first load
    this.sound = false;
    this.baseTitle = this.text.titleBase; // the page's own title may already carry a count
    this.failures = 0;
  }

  init() {
    this.$root.querySelector('.pa-js-sound').addEventListener('click', (event) => {
      this.sound = true; // browsers play sound only after a click on the page
      event.currentTarget.hidden = true;
      this.chime();
    });
    this.$rows.addEventListener('click', (event) => {
      const $button = event.target.closest('button[data-action]');
      if ($button) this.act($button);
    });
    this.refresh();
  }

  /** Fetch the board and show it; a lost session reloads the page, which leads to sign-in. */
  async load() {
    const response = await fetch(this.url, { credentials: 'same-origin', cache: 'no-store' });
    if (response.status === 401) {
      window.location.reload();
      return;
    }
    if (!response.ok) throw new Error(String(response.status));
    this.render(await response.json());
  }

  async refresh() {
    try {
      await this.load();
      this.failures = 0;
    } catch {
      this.failures += 1; // keep trying, a little slower each time
    }
    setTimeout(() => this.refresh(), this.poll * Math.min(1 + this.failures, 5));
  }

  render(data) {
    const knocking = data.rows.filter((row) => row.state === 'knocking');
    const ids = new Set(knocking.map((row) => String(row.knock_id)));
    const fresh = this.seen ? [...ids].filter((id) => !this.seen.has(id)) : [];
    this.seen = ids;
    // The rows come as HTML from the server's one row template (escaped there). A staff member
    // choosing a message in a row's list is not interrupted: that refresh waits for the next.
    const $active = document.activeElement;
    if (!($active?.tagName === 'SELECT' && this.$rows.contains($active))) {
      this.$rows.innerHTML = data.rowsHtml;
      for (const id of fresh) this.$rows.querySelector(`tr[data-knock="${id}"]`)?.classList.add('pa-row--new');
    }
    const $alert = this.$root.querySelector('.pa-js-alert');
    $alert.hidden = knocking.length === 0;
    $alert.querySelector('.pa-js-alert-text').textContent = plural(this.text.knocking, knocking.length);
    document.title = knocking.length ? `(${knocking.length}) ${this.text.titleKnock} – ${this.baseTitle}` : this.baseTitle;
    const $failures = this.$root.querySelector('.pa-js-failures');
    $failures.replaceChildren(...data.handoffFailures.map((row) => {
      const p = document.createElement('p');
      p.className = 'pa-notice pa-notice--fail';
      p.setAttribute('role', 'alert');
      p.textContent = this.text.failure.replace('{label}', row.label);
      return p;
    }));
    if (fresh.length && this.sound) this.chime();
  }

  /** A row's button: its address is on it (rendered by the server); a message takes its row's choice. */
  async act($button) {
    const body = $button.dataset.action === 'message'
      ? { message: $button.closest('tr').querySelector('select').value } : {};
    $button.disabled = true;
    const response = await postJson($button.dataset.url, body);
    if (!response.ok) {
      const data = await response.json().catch(() => ({}));
      window.alert(data.message || this.text.error); // eslint-disable-line no-alert
    }
    $button.blur();
    await this.load().catch(() => {}); // the next refresh tries again
  }

  /** A short two-note chime, generated (no file to download). */
  chime() {
    chime([880, 660], { spacing: 0.25 }).catch(() => {}); // sound is a bonus: the title and page change anyway
  }
}

const $root = document.querySelector('[data-module="pa-dashboard"]');
if ($root) new Dashboard($root).init();
