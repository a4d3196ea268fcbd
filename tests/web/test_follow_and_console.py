"""Following a request and working it in the clerk console, through the pages only."""

from __future__ import annotations

import asyncpg
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.support.auth import MakeCitizen, MakeStaff
from tests.web.conftest import csrf_of, encoded, log_in
from tests.web.html_forms import submitted
from tests.web.test_filing import as_form, example

Client = AsyncTestClient[Litestar]


async def file_certificate(browser: Client) -> str:
    """File and submit a Meldebescheinigung; returns the request id."""
    page = await browser.get("/services/meldebescheinigung/apply")
    filed = await browser.post(
        "/services/meldebescheinigung/apply",
        **encoded([("_csrf_token", csrf_of(page.text)), *as_form(example("meldebescheinigung"))]),
    )
    assert filed.status_code == 303
    review_url = filed.headers["location"]
    request_id = review_url.split("/")[2]
    review = await browser.get(review_url)
    done = await browser.post(f"/requests/{request_id}/submit", **encoded(submitted(review.text)))
    assert done.status_code == 303
    return request_id


async def test_clerk_takes_the_next_one_transitions_and_the_citizen_sees_it(
    browser: Client,
    make_citizen: MakeCitizen,
    make_staff: MakeStaff,
    raw_connection: asyncpg.Connection,
) -> None:
    citizen = await make_citizen()
    clerk = await make_staff("clerk", ["buergerservice"])
    await log_in(browser, citizen.email or "", citizen.password or "")
    request_id = await file_certificate(browser)
    mine = await browser.get(f"/requests/{request_id}")
    await browser.post("/logout", **encoded([("_csrf_token", csrf_of(mine.text))]))

    await log_in(browser, clerk.email or "", clerk.password or "")
    home = await browser.get("/staff")
    assert home.status_code == 200
    assert "Nächsten Antrag übernehmen" in home.text
    queue = await browser.get("/staff/queues/buergerservice", params={"assignee": "none"})
    assert "HL-" in queue.text
    assert "Eingegangen (1)" in queue.text  # the filter names states by their labels
    filtered = await browser.get(
        "/staff/queues/buergerservice", params={"state": "in_progress", "overdue": "true"}
    )
    assert "HL-" not in filtered.text
    claimed = await browser.post(
        "/staff/queues/buergerservice/claim", **encoded([("_csrf_token", csrf_of(home.text))])
    )
    assert claimed.status_code == 303
    assert claimed.headers["location"].startswith(f"/staff/requests/{request_id}")
    assert await raw_connection.fetchval("select assignee_id from requests") == clerk.id
    again = await browser.post(
        "/staff/queues/buergerservice/claim", **encoded([("_csrf_token", csrf_of(home.text))])
    )
    assert "staff.nothing" in again.headers["location"]  # nobody gets it twice

    page = await browser.get(f"/staff/requests/{request_id}")
    assert "Lena" in page.text
    assert "Verwendungszweck" in page.text  # titles from the schema, not raw keys
    assert "Zuständigkeit geändert" in page.text  # the internal assignment entry
    forms = page.text.split('action="/staff/requests/')
    start = next(f for f in forms if 'value="start_processing"' in f)
    fired = await browser.post(
        f"/staff/requests/{request_id}/transitions",
        **encoded(
            [
                ("_csrf_token", csrf_of(page.text)),
                ("transition", "start_processing"),
                ("version", start.split('name="version" value="')[1].split('"')[0]),
                ("comment", ""),
            ]
        ),
    )
    assert fired.status_code == 303, fired.text
    for body, visibility in (("Wir prüfen das.", "public"), ("Nur intern.", "internal")):
        page = await browser.get(f"/staff/requests/{request_id}")
        commented = await browser.post(
            f"/staff/requests/{request_id}/comments",
            **encoded(
                [("_csrf_token", csrf_of(page.text)), ("body", body), ("visibility", visibility)]
            ),
        )
        assert commented.status_code == 303
    page = await browser.get(f"/staff/requests/{request_id}")
    assert "Nur intern." in page.text
    await browser.post("/logout", **encoded([("_csrf_token", csrf_of(page.text))]))

    await log_in(browser, citizen.email or "", citizen.password or "")
    mine = await browser.get(f"/requests/{request_id}")
    assert "In Bearbeitung" in mine.text
    assert "Wir prüfen das." in mine.text
    assert "Nur intern." not in mine.text
    assert "Zuständigkeit geändert" not in mine.text


async def test_a_stale_page_tells_the_citizen_and_shows_the_request_fresh(
    browser: Client, make_citizen: MakeCitizen, raw_connection: asyncpg.Connection
) -> None:
    citizen = await make_citizen()
    await log_in(browser, citizen.email or "", citizen.password or "")
    request_id = await file_certificate(browser)
    page = await browser.get(f"/requests/{request_id}")
    assert 'value="withdraw"' in page.text
    old_version = page.text.split('name="version" value="')[1].split('"')[0]
    await raw_connection.execute("update requests set version = version + 1")
    stale = await browser.post(
        f"/requests/{request_id}/transitions",
        **encoded(
            [
                ("_csrf_token", csrf_of(page.text)),
                ("transition", "withdraw"),
                ("version", old_version),
                ("comment", ""),
            ]
        ),
    )
    assert stale.status_code == 409
    assert "inzwischen geändert" in stale.text
    fresh_version = stale.text.split('name="version" value="')[1].split('"')[0]
    assert int(fresh_version) == int(old_version) + 1
    assert await raw_connection.fetchval("select state from requests") == "submitted"
    withdrawn = await browser.post(
        f"/requests/{request_id}/transitions",
        **encoded(
            [
                ("_csrf_token", csrf_of(page.text)),
                ("transition", "withdraw"),
                ("version", fresh_version),
                ("comment", ""),
            ]
        ),
    )
    assert withdrawn.status_code == 303
    assert await raw_connection.fetchval("select state from requests") == "withdrawn"


async def test_a_citizen_cannot_open_someone_elses_request(
    browser: Client, make_citizen: MakeCitizen
) -> None:
    owner, other = await make_citizen(), await make_citizen()
    await log_in(browser, owner.email or "", owner.password or "")
    request_id = await file_certificate(browser)
    page = await browser.get("/requests")
    await browser.post("/logout", **encoded([("_csrf_token", csrf_of(page.text))]))
    await log_in(browser, other.email or "", other.password or "")
    hidden = await browser.get(f"/requests/{request_id}")
    assert hidden.status_code == 404
    assert "text/html" in hidden.headers["content-type"]


async def test_supervisor_sees_the_load_and_reassigns(
    browser: Client,
    make_citizen: MakeCitizen,
    make_staff: MakeStaff,
    raw_connection: asyncpg.Connection,
) -> None:
    citizen = await make_citizen()
    clerk = await make_staff("clerk", ["buergerservice"])
    boss = await make_staff("supervisor", ["buergerservice"])
    await log_in(browser, citizen.email or "", citizen.password or "")
    request_id = await file_certificate(browser)
    page = await browser.get("/requests")
    await browser.post("/logout", **encoded([("_csrf_token", csrf_of(page.text))]))
    await log_in(browser, boss.email or "", boss.password or "")
    overview = await browser.get("/staff/supervisor")
    assert overview.status_code == 200
    assert "Auslastung" in overview.text
    page = await browser.get(f"/staff/requests/{request_id}")
    version = page.text.split('name="version" value="')[1].split('"')[0]
    moved = await browser.post(
        f"/staff/requests/{request_id}/assignee",
        **encoded(
            [("_csrf_token", csrf_of(page.text)), ("version", version), ("assignee", str(clerk.id))]
        ),
    )
    assert moved.status_code == 303
    assert await raw_connection.fetchval("select assignee_id from requests") == clerk.id


async def test_a_forged_version_is_refused_without_an_error_page(
    browser: Client, make_citizen: MakeCitizen, raw_connection: asyncpg.Connection
) -> None:
    citizen = await make_citizen()
    await log_in(browser, citizen.email or "", citizen.password or "")
    request_id = await file_certificate(browser)
    page = await browser.get(f"/requests/{request_id}")
    # Thousands of digits make int() raise; full-width digits pass str.isdigit().
    for forged in ("9" * 5000, "\uff11", "-1", ""):
        answer = await browser.post(
            f"/requests/{request_id}/transitions",
            **encoded(
                [
                    ("_csrf_token", csrf_of(page.text)),
                    ("transition", "withdraw"),
                    ("version", forged),
                    ("comment", ""),
                ]
            ),
        )
        assert answer.status_code < 500, forged[:10]
        assert await raw_connection.fetchval("select state from requests") == "submitted"
