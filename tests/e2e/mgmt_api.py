"""A small client of the management REST API for the end-to-end tests, on the standard
library's urllib (and curl where a test wants a second, independent HTTP client)."""
import base64
import json
import subprocess
import time
import urllib.error
import urllib.request

CREDENTIALS = ("admin", "public")


class Api:
    def __init__(self, broker, prefix="/api/v4"):
        self.broker = broker
        self.base = f"http://{broker.host}:{broker.management_port}"
        self.prefix = prefix

    def request(self, method, path, body=None, auth=CREDENTIALS, raw=None, headers=None,
                prefix=None):
        """(HTTP status, parsed JSON or None, response headers). `body` is sent as JSON, `raw`
        as bytes; `auth` None sends no Authorization header."""
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        request = urllib.request.Request(
            self.base + (self.prefix if prefix is None else prefix) + path, data=data,
            method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if auth is not None:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, text, response_headers = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            status, text, response_headers = error.code, error.read(), error.headers
        return status, (json.loads(text) if text else None), response_headers

    def ok(self, method, path, body=None, **kwargs):
        """The envelope of a call that must succeed."""
        status, envelope, _ = self.request(method, path, body, **kwargs)
        assert status == 200 and envelope["code"] == 0, (method, path, status, envelope)
        return envelope

    def get(self, path, **kwargs):
        return self.ok("GET", path, **kwargs)["data"]

    def error(self, method, path, body=None, **kwargs):
        """(status, code) of a call that must fail, checking the error envelope's shape."""
        status, envelope, _ = self.request(method, path, body, **kwargs)
        assert envelope is not None and set(envelope) == {"code", "message"}, envelope
        return status, envelope["code"]

    def wait_for(self, path, predicate, timeout=10):
        """GET `path` until predicate(data) holds; the data."""
        deadline = time.monotonic() + timeout
        while True:
            data = self.get(path)
            if predicate(data):
                return data
            assert time.monotonic() < deadline, f"{path}: still {data}"
            time.sleep(0.05)


def curl(broker, *args):
    """curl against the API: (HTTP status, parsed body)."""
    command = ["curl", "-s", "-o", "-", "-w", "\n%{http_code}", *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=30, check=True)
    body, _, status = result.stdout.rpartition("\n")
    return int(status), (json.loads(body) if body else None)
