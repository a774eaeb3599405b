/**
 * Asks the server for the waiting patient's news, one question at a time. The question carries the
 * version of the last answer; while the patient waits, the server holds it until something changes
 * (up to the hold time), so the poller asks again at once after news or a held answer, and otherwise
 * every poll interval. When the network is gone it backs off with jitter up to 30 s (R60), and it
 * says so at once when the browser goes offline rather than when a held question times out.
 */
const MAX_BACKOFF_MS = 30000;

export class StatusPoller {
  /**
   * @param {{url: string, pollMs: number, holdSeconds: number,
   *          onStatus: (status: object) => void, onTrouble: () => void, onGone: () => void}} options
   */
  constructor({ url, pollMs, holdSeconds, onStatus, onTrouble, onGone }) {
    this.url = url;
    this.pollMs = pollMs;
    // Give up on a held question a little after the server would have answered it (a phone that
    // lost its network may never hear back), and count that as a failure.
    this.requestTimeoutMs = (Math.max(0, holdSeconds) + 15) * 1000;
    this.onStatus = onStatus;
    this.onTrouble = onTrouble;
    this.onGone = onGone;
    this.version = null;
    this.failures = 0;
    this.timer = null;
    this.controller = null;
    this.stopped = false;
  }

  start() {
    window.addEventListener('online', () => this.poll(0));
    window.addEventListener('offline', () => {
      if (this.stopped) return;
      if (this.controller) this.controller.abort();
      this.controller = null;
      this.failures += 1;
      this.onTrouble();
      this.poll(this.pollMs);
    });
    this.poll(0); // a knock from before (reload, dropped network) is picked up where it was
  }

  /** No more questions: the page is on its way to the video room. */
  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  poll(delay) {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.ask(), delay);
  }

  async ask() {
    // After trouble (offline, a failed question) ask without a version: the answer comes at once and
    // takes the "connection lost" notice away, instead of after a whole held question.
    const sent = this.failures ? null : this.version;
    const started = Date.now();
    // One question at a time: a new one (after a knock, or back online) replaces a held one.
    if (this.controller) this.controller.abort();
    const controller = new AbortController();
    this.controller = controller;
    const timer = setTimeout(() => controller.abort(), this.requestTimeoutMs);
    let next = this.pollMs;
    try {
      const url = sent ? `${this.url}?seen=${encodeURIComponent(sent)}` : this.url;
      const response = await fetch(url, { credentials: 'same-origin', cache: 'no-store', signal: controller.signal });
      if (response.status === 410) {
        this.onGone();
        return;
      }
      if (!response.ok) throw new Error(String(response.status));
      const status = await response.json();
      this.failures = 0;
      this.version = status.version || null;
      this.onStatus(status);
      // Ask again at once when the server holds questions and this answer was news or was held;
      // a quick answer with nothing new means the server is busy: wait the ordinary interval.
      const news = status.version !== sent;
      if (status.wait && (news || (status.held && Date.now() - started >= 1000))) next = 50 + Math.random() * 250;
    } catch {
      if (this.controller !== controller) return; // replaced by a newer question: that one carries on
      this.failures += 1;
      this.onTrouble();
    } finally {
      clearTimeout(timer);
    }
    if (this.controller !== controller || this.stopped) return;
    this.controller = null;
    if (this.failures) {
      // Exponential backoff with jitter while the server cannot be reached, capped at 30 s.
      next = Math.min(MAX_BACKOFF_MS, this.pollMs * 2 ** this.failures) * (0.8 + Math.random() * 0.4);
    } else if (next === this.pollMs) {
      next *= 0.8 + Math.random() * 0.4;
    }
    this.poll(next);
  }
}
