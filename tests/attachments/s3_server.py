"""A real S3-compatible server for the tests: moto's server on a free port, checking signatures.

moto accepts any request until told to authenticate; the fixture first creates an IAM user with
an access key that may use S3, then switches authentication on, so from then on a wrong key or
secret is refused as by AWS (403 ``SignatureDoesNotMatch`` / ``InvalidAccessKeyId``).
"""

from __future__ import annotations

import json
import logging
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from eservice.attachments.s3 import S3Storage

REGION = "eu-central-1"
_ALLOW_S3 = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
}


@dataclass(frozen=True)
class S3Server:
    """Where the server listens and the credentials it accepts."""

    url: str
    access_key: str
    secret_key: str

    def client(self) -> Any:
        """A boto3 S3 client with the valid credentials (to prepare and inspect buckets)."""
        return boto3.client(
            "s3",
            endpoint_url=self.url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=REGION,
        )

    def new_bucket(self) -> str:
        """A fresh empty bucket (each test gets its own)."""
        name = f"eservice-{uuid.uuid4().hex[:16]}"
        self.client().create_bucket(
            Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        return name

    def settings(self, bucket: str, **overrides: Any) -> dict[str, Any]:
        """App settings that store attachments in ``bucket``."""
        values: dict[str, Any] = {
            "storage": "s3",
            "s3_endpoint_url": self.url,
            "s3_bucket": bucket,
            "s3_access_key": self.access_key,
            "s3_secret_key": self.secret_key,
            "s3_region": REGION,
        }
        values.update(overrides)
        return values

    def storage(self, bucket: str, *, secret_key: str | None = None) -> S3Storage:
        """The backend on ``bucket`` (with another secret, to be refused)."""
        return S3Storage(
            endpoint_url=self.url,
            bucket=bucket,
            access_key=self.access_key,
            secret_key=secret_key or self.secret_key,
            region=REGION,
        )

    def keys(self, bucket: str) -> list[str]:
        """The object names in ``bucket``."""
        listed = self.client().list_objects_v2(Bucket=bucket)
        return sorted(item["Key"] for item in listed.get("Contents", []))


@contextmanager
def running_s3() -> Iterator[S3Server]:
    """moto's S3 server on 127.0.0.1 (a port the kernel picks) for the duration of the block."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    try:
        iam = boto3.client(
            "iam",
            endpoint_url=url,
            aws_access_key_id="setup",
            aws_secret_access_key="setup",
            region_name=REGION,
        )
        iam.create_user(UserName="eservice")
        iam.put_user_policy(
            UserName="eservice", PolicyName="s3", PolicyDocument=json.dumps(_ALLOW_S3)
        )
        key = iam.create_access_key(UserName="eservice")["AccessKey"]
        _require_signatures(url, True)
        yield S3Server(url=url, access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    finally:
        _require_signatures(url, False)  # moto's switch is process-wide: leave it as found
        server.stop()


def _require_signatures(url: str, required: bool) -> None:
    """moto's switch: check every request from now on, or accept anything (its default)."""
    # urllib, not httpx: this also runs at session teardown, when logging's streams are closed.
    switch = urllib.request.Request(
        f"{url}/moto-api/reset-auth",
        data=b"0" if required else b"inf",
        headers={"Content-Type": "text/plain"},  # moto reads the raw body, not a form
        method="POST",
    )
    with urllib.request.urlopen(switch, timeout=10) as answer:
        answer.read()
