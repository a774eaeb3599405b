/**
 * The dashboard keeps itself fresh every few seconds, makes a new knock impossible to miss (sound,
 * page title, a highlighted row and an alert) and sends admit, deny, message and done.
 */
import { chime } from '../shared/chime.js';
import { datasetKey } from '../shared/dataset-key.js';
import { plural } from '../shared/plural.js';
import { postJson } from '../shared/post.js';

const MESSAGE_KEYS = ['late-5', 'late-10', 'late-15', 'will-call'];

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
    } catch (error) {
      this.failures += 1; // keep trying, a little slower each time
    }
    setTimeout(() => this.refresh(), this.poll * Math.min(1 + this.failures, 5));
  }

  render(data) {
    const knocking = data.rows.filter((row) => row.state === 'knocking');
    const ids = new Set(knocking.map((row) => row.knock_id));
    const fresh = this.seen ? [...ids].filter((id) => !this.seen.has(id)) : [];
    this.seen = ids;
    this.$rows.replaceChildren(...(data.rows.length ? data.rows.map((row) => this.row(row, fresh.includes(row.knock_id)))
      : [this.emptyRow()]));
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

  emptyRow() {
    const tr = document.createElement('tr');
    const td = document.createElement('td');
    td.colSpan = 6;
    td.textContent = this.text.none;
    tr.append(td);
    return tr;
  }

  row(row, isNew) {
    const tr = document.createElement('tr');
    tr.className = `pa-row pa-row--${row.state}${isNew ? ' pa-row--new' : ''}`;
    tr.dataset.invitation = row.invitation_id;
    if (row.knock_id) tr.dataset.knock = row.knock_id;
    const cell = (content) => {
      const td = document.createElement('td');
      if (content instanceof Node) td.append(content);
      else td.textContent = content;
      tr.append(td);
      return td;
    };
    cell(row.time);
    const link = document.createElement('a');
    link.href = row.url;
    link.textContent = row.label;
    cell(link);
    cell(row.language);
    let status = row.state_label;
    if (row.waiting_seconds !== null) status += ` · ${plural(this.text.waiting, Math.floor(row.waiting_seconds / 60))}`;
    if (row.stale) status += ` · ${this.text.stale}`;
    if (row.message) status += ` · ${this.text[datasetKey(row.message)]}`;
    const state = document.createElement('span');
    state.className = 'pa-state';
    state.textContent = status;
    cell(state);
    cell(row.check || '–');
    const actions = cell('');
    actions.className = 'pa-actions';
    for (const action of row.actions) {
      if (action === 'message') actions.append(this.messageForm(row));
      else actions.append(this.button(this.text[action], () => this.act(row.knock_id, action, {})));
    }
    return tr;
  }

  button(label, onClick, secondary = false) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = `pa-button${secondary ? ' pa-button--secondary' : ''}`;
    button.textContent = label;
    button.addEventListener('click', onClick);
    return button;
  }

  messageForm(row) {
    const wrap = document.createElement('span');
    wrap.className = 'pa-message-form';
    const select = document.createElement('select');
    select.className = 'pa-select';
    select.setAttribute('aria-label', `${this.text.message} (${row.label})`);
    for (const key of MESSAGE_KEYS) {
      const option = document.createElement('option');
      option.value = key;
      option.textContent = this.text[datasetKey(key)];
      select.append(option);
    }
    wrap.append(select, this.button(this.text.send, () => this.act(row.knock_id, 'message', { message: select.value }), true));
    return wrap;
  }

  async act(knockId, action, body) {
    const response = await postJson(`/staff/api/knocks/${knockId}/${action}`, body);
    if (!response.ok) {
      const data = await response.json().catch(() => ({}));
      window.alert(data.message || this.text.error); // eslint-disable-line no-alert
    }
    await this.load().catch(() => {}); // the next refresh tries again
  }

  /** A short two-note chime, generated (no file to download). */
  chime() {
    chime([880, 660], { spacing: 0.25 }).catch(() => {}); // sound is a bonus: the title and page change anyway
  }
}

const $root = document.querySelector('[data-module="pa-dashboard"]');
if ($root) new Dashboard($root).init();
