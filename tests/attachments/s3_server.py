"""A small real S3-compatible HTTP server for tests: PUT, GET, DELETE and ListObjectsV2.

It checks what a real server checks: the SigV4 signature over the request as received (host,
path, query, signed headers) and the payload's ``x-amz-content-sha256``.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape

from eservice.attachments.sigv4 import sign_headers

ACCESS_KEY = "TESTACCESSKEY"
SECRET_KEY = "test/secret+key"
REGION = "eu-central-1"
BUCKET = "eservice-test"
PAGE_SIZE = 2


@dataclass
class FakeS3:
    """The server's state: objects by key, with their modification time."""

    objects: dict[str, tuple[bytes, datetime]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    url: str = ""


def _signature_ok(handler: BaseHTTPRequestHandler, payload_sha256: str) -> bool:
    authorization = handler.headers.get("Authorization", "")
    amz_date = handler.headers.get("X-Amz-Date", "")
    if not authorization.startswith("AWS4-HMAC-SHA256 ") or not amz_date:
        return False
    parts = dict(
        item.strip().split("=", 1)
        for item in authorization.removeprefix("AWS4-HMAC-SHA256 ").split(",")
    )
    if not parts.get("Credential", "").startswith(ACCESS_KEY + "/"):
        return False
    signed = parts.get("SignedHeaders", "").split(";")
    headers = {
        name: handler.headers.get(name, "") for name in signed if name not in {"host", "x-amz-date"}
    }
    url = urlsplit(handler.path)
    expected = sign_headers(
        method=handler.command,
        host=handler.headers.get("Host", ""),
        path=url.path,
        query=parse_qsl(url.query, keep_blank_values=True),
        headers=headers,
        payload_sha256=payload_sha256,
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        region=REGION,
        now=datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC),
    )
    return expected["Authorization"] == authorization


def _handler(state: FakeS3) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            return

        def _reply(
            self, status: int, body: bytes = b"", content_type: str = "application/xml"
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body and self.command != "HEAD":
                self.wfile.write(body)

        def _key(self) -> str | None:
            path = urlsplit(self.path).path
            prefix = f"/{BUCKET}/"
            return path[len(prefix) :] if path.startswith(prefix) else None

        def _authorised(self, payload_sha256: str) -> bool:
            if self.headers.get("x-amz-content-sha256") != payload_sha256:
                self._reply(400, b"<Error><Code>XAmzContentSHA256Mismatch</Code></Error>")
                return False
            if not _signature_ok(self, payload_sha256):
                self._reply(403, b"<Error><Code>SignatureDoesNotMatch</Code></Error>")
                return False
            return True

        def do_PUT(self) -> None:
            state.requests.append(("PUT", self.path))
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if not self._authorised(hashlib.sha256(body).hexdigest()):
                return
            key = self._key()
            if not key:
                self._reply(400)
                return
            state.objects[key] = (body, datetime.now(UTC))
            self._reply(200)

        def do_GET(self) -> None:
            state.requests.append(("GET", self.path))
            if not self._authorised(hashlib.sha256(b"").hexdigest()):
                return
            url = urlsplit(self.path)
            if url.path == f"/{BUCKET}":
                self._list(dict(parse_qsl(url.query)))
                return
            key = self._key()
            if key not in state.objects:
                self._reply(404, b"<Error><Code>NoSuchKey</Code></Error>")
                return
            self._reply(200, state.objects[key][0], "application/octet-stream")

        def do_DELETE(self) -> None:
            state.requests.append(("DELETE", self.path))
            if not self._authorised(hashlib.sha256(b"").hexdigest()):
                return
            state.objects.pop(self._key() or "", None)
            self._reply(204)

        def _list(self, query: dict[str, str]) -> None:
            prefix = query.get("prefix", "")
            keys = sorted(k for k in state.objects if k.startswith(prefix))
            start = int(query.get("continuation-token", "0") or 0)
            page = keys[start : start + PAGE_SIZE]
            more = start + PAGE_SIZE < len(keys)
            contents = "".join(
                f"<Contents><Key>{escape(k)}</Key><LastModified>"
                f"{state.objects[k][1].strftime('%Y-%m-%dT%H:%M:%S.000Z')}</LastModified>"
                f"<Size>{len(state.objects[k][0])}</Size></Contents>"
                for k in page
            )
            token = (
                f"<NextContinuationToken>{start + PAGE_SIZE}</NextContinuationToken>"
                if more
                else ""
            )
            body = (
                '<?xml version="1.0" encoding="UTF-8"?>'
                '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
                f"<Name>{BUCKET}</Name><Prefix>{escape(prefix)}</Prefix>"
                f"<IsTruncated>{'true' if more else 'false'}</IsTruncated>{token}{contents}"
                "</ListBucketResult>"
            ).encode()
            self._reply(200, body)

    return Handler


@contextmanager
def running_fake_s3() -> Iterator[FakeS3]:
    """Serve a fresh fake S3 on 127.0.0.1 for the duration of the block."""
    state = FakeS3()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="fake-s3", daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
