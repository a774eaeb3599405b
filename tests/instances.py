"""Real app instances for scale-out and fault tests, and the clients that drive them over HTTP.

- `Instance`: one gunicorn master with its own workers on a loopback port, started with the
  repository's gunicorn.conf.py exactly as in production (only the environment differs).
- `Browser`: a small blocking HTTP/1.1 client that keeps cookies, like a browser would.
- `Patient`: opens the link, knocks and asks for news as the waiting page's script does.
- `SoftPasskey`: a software authenticator (ES256, "none" attestation, user verified), so that staff
  enrol and sign in through the real WebAuthn ceremonies, on any instance, without a browser.
- `TcpProxy`: sits between an app and PostgreSQL and can cut the connection and restore it.
- `RedisServer`: a throwaway redis-server on a spare port that a test may kill.

Used by tests/integration/test_scale_out.py, tests/integration/test_faults.py and bench/faults.py.
"""
from __future__ import annotations

import base64
import contextlib
import hashlib
import http.client
import json
import os
import re
import secrets
import select
import shutil
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.waiting_room import free_port

ROOT = Path(__file__).resolve().parent.parent
SECRET = "scale-out-secret-" + "s" * 32
CONSENT = "2026-11"
# The shared Redis, on a database number of these tests' own; every group of instances that should
# count together gets one key prefix (`shared_limits`), so tests never see each other's counts.
REDIS_URL = os.environ.get("PATIENTAPP_TEST_REDIS_URL", "redis://127.0.0.1:6379/11")


def shared_limits(redis_url: str = REDIS_URL) -> dict:
    """Environment for instances that keep their rate-limit counts together in one Redis."""
    return {"PATIENTAPP_REDIS_URL": redis_url, "PATIENTAPP_RATE_LIMIT_PREFIX": "test-" + secrets.token_hex(6)}


# -- app instances --------------------------------------------------------------------------------

class Instance:
    """A gunicorn master with `workers` workers, serving the app on its own port."""

    def __init__(self, database_url: str, log_dir: Path, *, name: str = "a", public_base_url: str,
                 workers: int = 2, threads: int = 40, env: dict | None = None):
        self.name = name
        self.port = free_port()
        self.log_path = Path(log_dir) / f"gunicorn-{name}.log"
        self.env = {
            **os.environ,
            "PATIENTAPP_DATABASE_URL": database_url,
            "PATIENTAPP_SECRET_KEY": SECRET,  # the same on every instance: a session works on all
            "PATIENTAPP_PUBLIC_BASE_URL": public_base_url,
            "PATIENTAPP_ALLOW_LOCAL_ROOMS": "1",
            "PATIENTAPP_LOG_LEVEL": "INFO",
            "PATIENTAPP_THREADS": str(threads),
            "PORT": str(self.port),
            "WEB_CONCURRENCY": str(workers),
            **shared_limits(),
            **(env or {}),
        }
        self.process: subprocess.Popen | None = None
        self._log = None

    def launch(self) -> Instance:
        """Start gunicorn without waiting for it (`wait_until_serving`): several can boot at once."""
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py", "patientapp:create_app()"],
            cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT)
        return self

    def start(self, timeout: float = 30) -> Instance:
        self.launch().wait_until_serving(timeout)
        return self

    def wait_until_serving(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn {self.name} exited:\n{self.log()[-3000:]}")
            try:
                if Browser(self).get("/healthz").status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"gunicorn {self.name} did not answer:\n{self.log()[-3000:]}")

    def workers(self) -> set[int]:
        """The worker processes' ids (the master's children)."""
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        except OSError:
            return set()
        return {int(pid) for pid in children.split()}

    def connections(self) -> dict[int, int]:
        """Open client connections per worker: which worker is holding whose requests."""
        ours = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                lines = Path(table).read_text().splitlines()[1:]
            except OSError:
                continue
            for line in lines:
                fields = line.split()
                if fields[3] == "01" and int(fields[1].rsplit(":", 1)[1], 16) == self.port:  # established
                    ours.add(fields[9])
        counts = {}
        for pid in self.workers():
            count = 0
            try:
                for fd in os.listdir(f"/proc/{pid}/fd"):
                    link = os.readlink(f"/proc/{pid}/fd/{fd}")
                    count += link.startswith("socket:[") and link[8:-1] in ours
            except OSError:
                pass
            counts[pid] = count
        return counts

    def log(self) -> str:
        if self._log is not None:
            self._log.flush()
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, graceful: bool = False) -> None:
        """Stop gunicorn: at once (SIGQUIT), or letting requests in flight finish (SIGTERM)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM if graceful else signal.SIGQUIT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# -- HTTP clients ---------------------------------------------------------------------------------

@dataclass
class Answer:
    status: int
    headers: dict
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body)


class Browser:
    """Blocking HTTP/1.1 with a cookie jar; may talk to any instance (`use`), as behind a load balancer."""

    def __init__(self, instance: Instance, cookies: dict | None = None, language: str = "nb"):
        self.instance = instance
        self.cookies: dict[str, str] = dict(cookies or {})
        self.language = language
        self.csrf: str | None = None

    def use(self, instance: Instance) -> Browser:
        """The same browser (same cookies), now reaching another instance."""
        self.instance = instance
        return self

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
                timeout: float = 30) -> Answer:
        conn = http.client.HTTPConnection("127.0.0.1", self.instance.port, timeout=timeout)
        try:
            sent = {"Host": f"localhost:{self.instance.port}", "Accept-Language": self.language, **(headers or {})}
            if self.cookies:
                sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            data = response.read()
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    key, _, rest = value.partition("=")
                    cookie_value = rest.split(";", 1)[0]
                    if cookie_value and "max-age=0" not in value.lower():
                        self.cookies[key] = cookie_value
                    else:
                        self.cookies.pop(key, None)
            return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, data)
        finally:
            conn.close()

    def get(self, path: str, **kwargs) -> Answer:
        return self.request("GET", path, **kwargs)

    def page(self, path: str) -> Answer:
        """A page; remembers its CSRF token for the next POST."""
        answer = self.get(path)
        found = re.search(r'name="csrf-token" content="([^"]+)"', answer.text)
        if found:
            self.csrf = found.group(1)
        return answer

    def post_json(self, path: str, payload=None, raw: bytes | None = None, **kwargs) -> Answer:
        body = raw if raw is not None else json.dumps(payload or {}).encode()
        headers = {"Content-Type": "application/json", "X-CSRFToken": self.csrf or ""}
        return self.request("POST", path, body=body, headers=headers, **kwargs)


    def post_form(self, path: str, fields: dict, **kwargs) -> Answer:
        from urllib.parse import urlencode

        body = urlencode({**fields, "csrf_token": self.csrf or ""}).encode()
        return self.request("POST", path, body=body,
                            headers={"Content-Type": "application/x-www-form-urlencoded"}, **kwargs)


class Patient(Browser):
    """A patient's phone: the link, the waiting room, the knock, and status requests like the page's."""

    def __init__(self, instance: Instance, token: str, language: str = "nb"):
        super().__init__(instance, language=language)
        self.token = token
        self.version: str | None = None
        self.knock_id: int | None = None

    def open_link(self) -> Answer:
        answer = self.get(f"/i/{self.token}")
        assert answer.status == 303, answer.status
        return answer

    def knock(self) -> Answer:
        self.page("/visit/wait")
        answer = self.post_json("/api/visit/knock", {"consent_version": CONSENT})
        if answer.status == 201:
            self.knock_id = answer.json()["knock"]
            self.version = None
        return answer

    def status(self, timeout: float = 40) -> Answer:
        """One status request; with the version last heard, so that a waiting patient's is held."""
        path = "/api/visit/status" + (f"?seen={self.version}" if self.version else "")
        answer = self.get(path, timeout=timeout)
        if answer.status == 200:
            self.version = answer.json().get("version")
        return answer


class WaitingPage(threading.Thread):
    """A patient's page asking for news over and over, as waiting-room.js does: after an error it
    waits a moment and asks again, with the same knock (R60)."""

    def __init__(self, patient: Patient, timeout: float = 15):
        super().__init__(daemon=True)
        self.patient = patient
        self.timeout = timeout  # longer than the server holds a request
        self.answers: list[tuple[float, int, dict | None]] = []  # (when, status, body)
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            try:
                answer = self.patient.status(timeout=self.timeout)
                self.answers.append((time.monotonic(), answer.status, answer.json() if answer.status == 200 else None))
                if answer.status != 200:
                    time.sleep(0.3)
            except OSError as error:  # the connection was cut: ask again
                self.answers.append((time.monotonic(), 0, {"error": type(error).__name__}))
                time.sleep(0.3)

    def ok_after(self, moment: float) -> list[dict]:
        return [body for at, status, body in self.answers if at > moment and status == 200]

    def failed_after(self, moment: float) -> bool:
        return any(at > moment and status != 200 for at, status, _body in self.answers)


def admin_staff(browser: Browser, passkey: SoftPasskey, enrolment_link: str, name: str = "Work PC") -> Answer:
    """Follow an enrolment link and create a passkey, as the enrolment page's script does."""
    path = "/" + enrolment_link.split("/", 3)[3]
    assert browser.get(path).status == 303
    assert browser.page("/staff/enrol").status == 200
    options = browser.post_json("/staff/webauthn/register/options")
    assert options.status == 200, options.text
    created = browser.post_json(f"/staff/webauthn/register/verify?name={name.replace(' ', '+')}",
                                raw=json.dumps(passkey.create(options.json())).encode())
    return created


def sign_in(browser: Browser, passkey: SoftPasskey) -> Answer:
    """Sign in with a passkey, as the sign-in page's script does; the staff cookie lands in the jar."""
    assert browser.page("/staff/login").status == 200
    options = browser.post_json("/staff/webauthn/login/options")
    assert options.status == 200, options.text
    answer = browser.post_json("/staff/webauthn/login/verify", raw=json.dumps(passkey.get(options.json())).encode())
    if answer.status == 200:
        browser.page("/staff/")  # the dashboard's CSRF token for its buttons
    return answer


# -- a software passkey ---------------------------------------------------------------------------

def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class SoftPasskey:
    """A platform authenticator in software: one discoverable ES256 credential, user verification done."""

    origin: str
    rp_id: str = "localhost"
    credential_id: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    sign_count: int = 0
    user_handle: bytes | None = None

    def __post_init__(self):
        from cryptography.hazmat.primitives.asymmetric import ec

        self.key = ec.generate_private_key(ec.SECP256R1())

    def _client_data(self, kind: str, challenge: str) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": self.origin,
                           "crossOrigin": False}).encode()

    def _auth_data(self, flags: int, extra: bytes = b"") -> bytes:
        return (hashlib.sha256(self.rp_id.encode()).digest() + bytes([flags])
                + self.sign_count.to_bytes(4, "big") + extra)

    def create(self, options: dict) -> dict:
        import cbor2

        assert options["rp"]["id"] == self.rp_id
        self.user_handle = _unb64(options["user"]["id"])
        numbers = self.key.public_key().public_numbers()
        cose = {1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")}
        attested = bytes(16) + len(self.credential_id).to_bytes(2, "big") + self.credential_id + cbor2.dumps(cose)
        auth_data = self._auth_data(0x01 | 0x04 | 0x40, attested)  # user present, verified, attested data
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {"id": _b64(self.credential_id), "rawId": _b64(self.credential_id), "type": "public-key",
                "authenticatorAttachment": "platform", "clientExtensionResults": {},
                "response": {"clientDataJSON": _b64(self._client_data("webauthn.create", options["challenge"])),
                             "attestationObject": _b64(attestation), "transports": ["internal"]}}

    def get(self, options: dict) -> dict:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec

        assert options["rpId"] == self.rp_id and self.user_handle is not None
        self.sign_count += 1
        auth_data = self._auth_data(0x01 | 0x04)
        client_data = self._client_data("webauthn.get", options["challenge"])
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return {"id": _b64(self.credential_id), "rawId": _b64(self.credential_id), "type": "public-key",
                "authenticatorAttachment": "platform", "clientExtensionResults": {},
                "response": {"clientDataJSON": _b64(client_data), "authenticatorData": _b64(auth_data),
                             "signature": _b64(signature), "userHandle": _b64(self.user_handle)}}


# -- faults ---------------------------------------------------------------------------------------

class TcpProxy:
    """A TCP relay on a loopback port (threads). `cut()` drops every connection and refuses new ones
    until `restore()`: to the app, the database has gone away and come back."""

    def __init__(self, upstream_host: str, upstream_port: int):
        self.upstream = (upstream_host, upstream_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.up = True
        self.accepted = 0
        self._pairs: set[tuple[socket.socket, socket.socket]] = set()
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True, name="tcp-proxy").start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _addr = self.listener.accept()
            except OSError:
                return
            if not self.up:
                client.close()  # refused: like a database that is down
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            self.accepted += 1
            pair = (client, server)
            with self._lock:
                self._pairs.add(pair)
            threading.Thread(target=self._pump, args=(pair,), daemon=True).start()

    def _pump(self, pair) -> None:
        client, server = pair
        try:
            while True:
                readable, _, _ = select.select([client, server], [], [], 0.5)
                if pair not in self._pairs:
                    return
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    (server if sock is client else client).sendall(data)
        except (OSError, ValueError):  # cut meanwhile: the sockets are closed
            return
        finally:
            self._drop(pair)

    def _drop(self, pair) -> None:
        with self._lock:
            self._pairs.discard(pair)
        for sock in pair:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def cut(self) -> None:
        self.up = False
        with self._lock:
            pairs = list(self._pairs)
        for pair in pairs:
            self._drop(pair)

    def restore(self) -> None:
        self.up = True

    def close(self) -> None:
        self._closed = True
        self.cut()
        self.listener.close()


class RedisServer:
    """A redis-server of our own on a spare port, with nothing saved to disk; `kill()` takes it away."""

    def __init__(self):
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.process = subprocess.Popen([binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                         "--appendonly", "no", "--dir", "/tmp"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise TimeoutError("redis-server did not start")

    def command(self, *words: str) -> bytes:
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as sock:
            parts = [f"*{len(words)}\r\n".encode()] + [f"${len(w.encode())}\r\n{w}\r\n".encode() for w in words]
            sock.sendall(b"".join(parts))
            return sock.recv(65536)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
