"""Everything held about a person, as a ZIP archive (GDPR Art. 15 and 20).

Every context exports its own part (``<context>.retention.export_*``); this module puts the
parts together. What comes from the database is read in the caller's transaction, before the
archive is streamed; the files are then copied from storage chunk by chunk (see ``archive``).
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.attachments import retention as attachments_retention
from eservice.attachments.storage import Storage
from eservice.core.audit import record_admin_action
from eservice.core.errors import Forbidden, NotFound
from eservice.identity import repository as identity_repository
from eservice.identity import retention as identity_retention
from eservice.identity.principal import Principal
from eservice.identity.service import normalise_email
from eservice.notifications import retention as notifications_retention
from eservice.privacy.archive import Document, StoredFile, zip_stream
from eservice.requests import retention as requests_retention

README = """\
eservice - Auskunft über Ihre gespeicherten Daten / Export of your stored data
===============================================================================

Deutsch
-------
Dieses Archiv enthält alle Daten, die eservice über Ihr Konto gespeichert hat
(Art. 15 und 20 DSGVO), Stand {now}:

  account.json        Ihr Konto: E-Mail-Adresse, Name, Sprache, Zeitpunkte.
                      Ihr Passwort ist nur als nicht umkehrbarer Hash gespeichert
                      und ist nicht enthalten.
  requests.json       Ihre Anträge mit allen Angaben, dem Verlauf und den
                      öffentlichen Kommentaren, wie Sie sie sehen; zu jeder Datei
                      steht der Pfad im Archiv.
  notifications.json  Ihre Benachrichtigungen im Portal.
  files/              Die Dateien, die zu Ihren Anträgen hochgeladen wurden,
                      je Antrag ein Ordner mit dessen Aktenzeichen.

Welche Mitarbeitenden Ihre Anträge gelesen oder bearbeitet haben, zeigt
GET /api/v1/requests/{{id}}/access-log. Wie lange die Daten gespeichert werden,
steht in der Dokumentation zum Datenschutz (docs/data-protection.md).

English
-------
This archive holds all data eservice has stored about your account (GDPR
Art. 15 and 20), as of {now}:

  account.json        Your account: email address, name, language, times.
                      Your password is stored only as a one-way hash and is not
                      included.
  requests.json       Your requests with everything you entered, their history
                      and the public comments, as you see them; each file lists
                      its path in this archive.
  notifications.json  Your in-app notifications.
  files/              The files uploaded to your requests, one folder per request
                      named after its reference.

Which staff read or changed your requests is shown by
GET /api/v1/requests/{{id}}/access-log. How long data is kept is described in the
data protection documentation (docs/data-protection.md).
"""

_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")


class PersonExport(msgspec.Struct, frozen=True):
    """What goes into the archive: its documents and the stored files to copy."""

    documents: list[Document]
    files: list[StoredFile]


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str).encode()


def _safe_name(filename: str) -> str:
    cleaned = _UNSAFE.sub("_", filename).strip(" .") or "file"
    return cleaned[:120]


async def collect_export(session: AsyncSession, user_id: UUID, viewer: Principal) -> PersonExport:
    """Read everything about the person ``user_id`` as ``viewer`` may see it."""
    user = await identity_repository.get_user(session, user_id)
    if user is None:
        raise NotFound("No account with this id.")
    requests = await requests_retention.export_requests(session, user_id, viewer)
    ids = [UUID(item["request"]["id"]) for item in requests]
    references = {UUID(item["request"]["id"]): item["request"]["reference"] for item in requests}
    stored = await attachments_retention.export_files(
        session, ids, include_internal=viewer.is_staff
    )
    files: list[StoredFile] = []
    listed: dict[UUID, list[dict[str, Any]]] = {}
    for found in stored:
        path = f"files/{references[found.request_id]}/{found.id}-{_safe_name(found.filename)}"
        files.append(StoredFile(path, found.storage_key, found.size, found.created_at))
        entry: dict[str, Any] = msgspec.to_builtins(found)
        del entry["storage_key"]
        entry["path"] = path
        listed.setdefault(found.request_id, []).append(entry)
    for item in requests:
        item["attachments"] = listed.get(UUID(item["request"]["id"]), [])
    inbox = await notifications_retention.export_inbox(session, user_id, user.locale)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    documents = [
        Document("README.txt", README.format(now=now).encode()),
        Document("account.json", _json(identity_retention.export_account(user))),
        Document("requests.json", _json(requests)),
        Document("notifications.json", _json(inbox)),
    ]
    return PersonExport(documents=documents, files=files)


async def export_own_data(session: AsyncSession, principal: Principal) -> PersonExport:
    """A citizen's (or staff member's) own data; API clients are not persons."""
    if principal.is_client:
        raise Forbidden("API clients hold no personal data of their own to export.")
    return await collect_export(session, principal.id, principal)


def archive_chunks(export: PersonExport, storage: Storage) -> AsyncIterator[bytes]:
    return zip_stream(export.documents, export.files, storage, datetime.now(UTC))


async def export_person_by_email(
    session: AsyncSession, admin: Principal, email: str
) -> PersonExport:
    """An admin answers an Art. 15 request received by letter; recorded in the admin audit
    (the person's id, never the address)."""
    user = await identity_repository.get_local_user_by_email(session, normalise_email(email))
    if user is None:
        raise NotFound("No account with this email address.")
    archive = await collect_export(session, user.id, admin)
    await record_admin_action(
        session,
        actor_kind="staff",
        actor_id=admin.id,
        action="person.exported",
        target=str(user.id),
        details={"files": len(archive.files)},
    )
    return archive
