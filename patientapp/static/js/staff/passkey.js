/**
 * Passkey sign-in and registration. The server makes the options and checks the answer
 * (py_webauthn); this module only converts between JSON and the browser's ArrayBuffers.
 */
import { postJson } from '../shared/post.js';

const fromB64 = (value) => {
  const base64 = value.replace(/-/g, '+').replace(/_/g, '/');
  const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0)).buffer;
};
const toB64 = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer)))
  .replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

function creationOptions(json) {
  return {
    ...json,
    challenge: fromB64(json.challenge),
    user: { ...json.user, id: fromB64(json.user.id) },
    excludeCredentials: (json.excludeCredentials || []).map((c) => ({ ...c, id: fromB64(c.id) })),
  };
}

function requestOptions(json) {
  return {
    ...json,
    challenge: fromB64(json.challenge),
    allowCredentials: (json.allowCredentials || []).map((c) => ({ ...c, id: fromB64(c.id) })),
  };
}

function credentialJson(credential) {
  const { response } = credential;
  const json = {
    id: credential.id,
    rawId: toB64(credential.rawId),
    type: credential.type,
    clientExtensionResults: credential.getClientExtensionResults(),
    authenticatorAttachment: credential.authenticatorAttachment || undefined,
    response: { clientDataJSON: toB64(response.clientDataJSON) },
  };
  if (response.attestationObject) {
    json.response.attestationObject = toB64(response.attestationObject);
    json.response.transports = response.getTransports ? response.getTransports() : [];
  } else {
    json.response.authenticatorData = toB64(response.authenticatorData);
    json.response.signature = toB64(response.signature);
    json.response.userHandle = response.userHandle ? toB64(response.userHandle) : undefined;
  }
  return json;
}

class Passkey {
  /** @param {HTMLElement} $root element with data-module="pa-passkey" */
  constructor($root) {
    this.$root = $root;
    this.mode = $root.dataset.mode;
    this.$error = $root.querySelector('.pa-js-passkey-error');
    this.$button = $root.querySelector('.pa-js-passkey');
    this.messages = document.getElementById('pa-passkey-messages').dataset;
  }

  init() {
    if (!window.PublicKeyCredential) {
      this.fail(this.messages.unsupported);
      this.$button.disabled = true;
      return;
    }
    this.$button.addEventListener('click', () => this.run());
  }

  fail(text) {
    this.$error.textContent = text;
    this.$error.hidden = false;
  }

  async run() {
    this.$button.disabled = true;
    this.$error.hidden = true;
    try {
      const options = await postJson(this.$root.dataset.optionsUrl, {});
      if (!options.ok) throw new Error('options');
      const json = await options.json();
      const credential = this.mode === 'register'
        ? await navigator.credentials.create({ publicKey: creationOptions(json) })
        : await navigator.credentials.get({ publicKey: requestOptions(json) });
      const $name = this.$root.querySelector('.pa-js-passkey-name');
      const url = new URL(this.$root.dataset.verifyUrl, window.location.href);
      if ($name?.value.trim()) url.searchParams.set('name', $name.value.trim());
      const verified = await postJson(url.pathname + url.search, credentialJson(credential));
      if (!verified.ok) throw new Error('verify');
      window.location.assign((await verified.json()).redirect);
    } catch (error) {
      this.fail(error && error.name === 'NotAllowedError' ? this.messages.cancelled : this.messages.failed);
      this.$button.disabled = false;
    }
  }
}

for (const $root of document.querySelectorAll('[data-module="pa-passkey"]')) new Passkey($root).init();
