"""`catalog check`: the shipped catalogue is valid; each kind of mistake is reported precisely."""

from __future__ import annotations

from typing import Any

import pytest

from eservice.catalog.files import Problem, check_catalog, read_catalog
from eservice.cli.main import main
from tests.catalog.conftest import CatalogCopy
from tests.conftest import REPO

PERMIT = "workflows/permit.v1.toml"
PARKING = "services/bewohnerparkausweis.v1.toml"
PARKING_FORM = "services/bewohnerparkausweis.v1.form.json"


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


def test_shipped_catalogue_has_no_problems() -> None:
    assert [str(p) for p in check_catalog(REPO)] == []


def test_shipped_catalogue_holds_the_five_services_on_four_workflows() -> None:
    # strassenschaden v2 follows public-report v2 (spam closing); v1 of both stay published.
    catalog = read_catalog(REPO)
    services = {s.code: (s.department, s.workflow.name, s.version) for s in catalog.services}
    assert services == {
        "bewohnerparkausweis": ("verkehr", "permit", 1),
        "sondernutzung": ("tiefbau", "permit", 1),
        "hundeanmeldung": ("steuern", "registration", 1),
        "meldebescheinigung": ("buergerservice", "certificate", 1),
        "strassenschaden": ("tiefbau", "public-report", 2),
    }
    assert {(w.name, w.version) for w in catalog.workflows} == {
        ("permit", 1),
        ("registration", 1),
        ("certificate", 1),
        ("public-report", 1),
        ("public-report", 2),
    }
    assert {d.code for d in catalog.departments} == {
        "verkehr",
        "steuern",
        "buergerservice",
        "tiefbau",
    }


def test_cli_check_exits_zero_on_the_shipped_catalogue(
    cli_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["catalog", "check"]) == 0
    assert capsys.readouterr().out == ""


def test_cli_check_prints_every_problem_and_exits_nonzero(
    catalog_copy: CatalogCopy, cli_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    catalog_copy.replace(PERMIT, 'to = "approved"', 'to = "aproved"')
    catalog_copy.replace(PARKING, 'department = "verkehr"', 'department = "verkehrs"')
    assert main(["catalog", "check", "--root", str(catalog_copy.root)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert (
        "workflows/permit.v1.toml:transitions[6].to: transition 'approve': unknown state 'aproved'"
        in out
    )
    assert "services/bewohnerparkausweis.v1.toml:department: unknown department 'verkehrs'" in out


# --- workflow mistakes -------------------------------------------------------------------------


def test_unknown_state_in_a_transition_is_reported(catalog_copy: CatalogCopy) -> None:
    catalog_copy.replace(
        PERMIT,
        'from = ["awaiting_info"]\nto = "in_review"',
        'from = ["awaiting"]\nto = "in_review"',
    )
    problems = check_catalog(catalog_copy.root)
    assert (
        Problem(
            PERMIT, "transitions[3].from[0]", "transition 'provide_info': unknown state 'awaiting'"
        )
        in problems
    )


def test_state_unreachable_from_draft_is_reported(catalog_copy: CatalogCopy) -> None:
    # Nothing leads to fee_due any more once request_fee goes elsewhere.
    catalog_copy.replace(
        PERMIT, 'from = ["in_review"]\nto = "fee_due"', 'from = ["in_review"]\nto = "awaiting_info"'
    )
    problem = only([p for p in check_catalog(catalog_copy.root) if "reached" in p.message])
    assert problem == Problem(PERMIT, "states[4]", "state 'fee_due' cannot be reached from 'draft'")


def test_non_terminal_state_without_a_way_out_is_reported(catalog_copy: CatalogCopy) -> None:
    catalog_copy.replace(PERMIT, 'from = ["fee_due"]', 'from = ["in_review"]')
    catalog_copy.replace(PERMIT, '"awaiting_info", "fee_due"]', '"awaiting_info"]')
    problems = check_catalog(catalog_copy.root)
    assert (
        Problem(PERMIT, "states[4]", "state 'fee_due' is not terminal but no transition leaves it")
        in problems
    )


def test_transition_out_of_a_terminal_state_is_reported(catalog_copy: CatalogCopy) -> None:
    catalog_copy.replace(
        PERMIT,
        'from = ["submitted", "in_review"]\nto = "rejected"',
        'from = ["submitted", "approved"]\nto = "rejected"',
    )
    problems = check_catalog(catalog_copy.root)
    assert (
        Problem(
            PERMIT, "transitions[7].from[1]", "transition 'reject' leaves terminal state 'approved'"
        )
        in problems
    )


def test_duplicate_state_and_transition_names_are_reported(catalog_copy: CatalogCopy) -> None:
    catalog_copy.replace(PERMIT, 'name = "expired"', 'name = "withdrawn"')
    catalog_copy.replace(PERMIT, 'name = "request_fee"', 'name = "approve"')
    problems = check_catalog(catalog_copy.root)
    assert Problem(PERMIT, "states[8].name", "duplicate state name 'withdrawn'") in problems
    assert Problem(PERMIT, "transitions[4].name", "duplicate transition name 'approve'") in problems


def test_unknown_actor_is_reported_with_the_allowed_ones(catalog_copy: CatalogCopy) -> None:
    catalog_copy.replace(
        PERMIT, 'actors = ["client", "clerk", "system"]', 'actors = ["client", "kassenautomat"]'
    )
    problem = only(check_catalog(catalog_copy.root))
    assert problem.file == PERMIT
    assert problem.location == "transitions[5].actors[1]"
    assert problem.message.startswith("unknown actor 'kassenautomat'; actors are applicant, clerk")


def test_timer_naming_an_unknown_transition_is_reported(catalog_copy: CatalogCopy) -> None:
    catalog_copy.replace(
        PERMIT,
        'timer = { after = "30d", transition = "expire" }',
        'timer = { after = "30d", transition = "expiry" }',
    )
    problem = only(check_catalog(catalog_copy.root))
    assert problem == Problem(
        PERMIT,
        "states[3].timer.transition",
        "timer of state 'awaiting_info': unknown transition 'expiry'",
    )


def test_timer_with_a_transition_the_system_may_not_fire_is_reported(
    catalog_copy: CatalogCopy,
) -> None:
    catalog_copy.replace(
        PERMIT,
        'timer = { after = "30d", transition = "expire" }',
        'timer = { after = "30d", transition = "provide_info" }',
    )
    problems = check_catalog(catalog_copy.root)
    assert (
        Problem(
            PERMIT,
            "states[3].timer.transition",
            "timer of state 'awaiting_info': the system must be an actor of 'provide_info'",
        )
        in problems
    )


def test_malformed_timer_duration_is_reported(catalog_copy: CatalogCopy) -> None:
    catalog_copy.replace(PERMIT, 'after = "30d"', 'after = "30 days"')
    problem = only(check_catalog(catalog_copy.root))
    assert (problem.file, problem.location) == (PERMIT, "states[3].timer.after")
    assert "matching regex" in problem.message


def test_terminal_state_with_running_sla_is_reported(catalog_copy: CatalogCopy) -> None:
    catalog_copy.replace(PERMIT, 'terminal = true\nsla = "stopped"', "terminal = true")
    problem = only(check_catalog(catalog_copy.root))
    assert problem == Problem(
        PERMIT,
        "states[5].sla",
        "terminal state 'approved' must stop the SLA clock (sla = \"stopped\")",
    )


def test_workflow_without_draft_or_submit_is_reported(catalog_copy: CatalogCopy) -> None:
    catalog_copy.replace(PERMIT, 'name = "submit"', 'name = "file"')
    problems = check_catalog(catalog_copy.root)
    assert Problem(PERMIT, "transitions", "every workflow needs a 'submit' transition") in problems


def test_unknown_key_in_a_workflow_is_reported(catalog_copy: CatalogCopy) -> None:
    catalog_copy.replace(
        PERMIT, 'terminal = true\nsla = "stopped"', 'terminal = true\nsla = "stopped"\nfinal = true'
    )
    problem = only(check_catalog(catalog_copy.root))
    assert (problem.location, problem.message) == (
        "states[5].final",  # the key itself, as in the API's pointers
        "Object contains unknown field `final`",
    )


def test_invalid_toml_is_reported_with_its_line(catalog_copy: CatalogCopy) -> None:
    catalog_copy.replace(PERMIT, 'name = "permit"', 'name = "permit')
    problems = [p for p in check_catalog(catalog_copy.root) if p.file == PERMIT]
    assert len(problems) == 1
    assert "not valid TOML" in problems[0].message
    assert "line 3" in problems[0].message


# --- service mistakes --------------------------------------------------------------------------


def test_service_naming_a_missing_workflow_version_is_reported(catalog_copy: CatalogCopy) -> None:
    catalog_copy.replace(
        PARKING,
        'workflow = { name = "permit", version = 1 }',
        'workflow = { name = "permit", version = 2 }',
    )
    problem = only(check_catalog(catalog_copy.root))
    assert problem == Problem(PARKING, "workflow", "workflow 'permit' version 2 does not exist")


def test_form_that_is_not_valid_json_schema_is_reported(catalog_copy: CatalogCopy) -> None:
    catalog_copy.edit_json(PARKING_FORM, lambda f: f["properties"]["plz"].update(type="postcode"))
    problem = only(check_catalog(catalog_copy.root))
    assert problem.file == PARKING_FORM
    assert problem.location == "/properties/plz/type"
    assert problem.message.startswith("not a valid JSON Schema")


def test_form_with_a_broken_pattern_is_reported(catalog_copy: CatalogCopy) -> None:
    catalog_copy.edit_json(
        PARKING_FORM, lambda f: f["properties"]["plz"].update(pattern="^[0-9{5}$")
    )
    problem = only(check_catalog(catalog_copy.root))
    assert (problem.file, problem.location) == (PARKING_FORM, "/properties/plz/pattern")


def test_example_that_does_not_validate_against_its_form_is_reported(
    catalog_copy: CatalogCopy,
) -> None:
    catalog_copy.edit_json(PARKING_FORM, lambda f: f["examples"][1].update(kennzeichen="HL AB 12"))
    problem = only(check_catalog(catalog_copy.root))
    assert problem.file == PARKING_FORM
    assert problem.location == "/examples/1/kennzeichen"
    assert problem.message.startswith("example 1 does not validate against the form")


def test_form_without_examples_is_reported(catalog_copy: CatalogCopy) -> None:
    catalog_copy.edit_json(PARKING_FORM, lambda f: f.pop("examples"))
    problem = only(check_catalog(catalog_copy.root))
    assert (problem.file, problem.location) == (PARKING_FORM, "/examples")


def test_form_with_a_remote_reference_is_refused(catalog_copy: CatalogCopy) -> None:
    catalog_copy.edit_json(
        PARKING_FORM, lambda f: f["properties"].update(plz={"$ref": "https://example.org/plz.json"})
    )
    problem = only(check_catalog(catalog_copy.root))
    assert (problem.file, problem.location) == (PARKING_FORM, "/properties/plz/$ref")


def test_service_with_unknown_field_or_bad_value_is_reported(catalog_copy: CatalogCopy) -> None:
    catalog_copy.replace(PARKING, 'location = "none"', 'location = "somewhere"')
    problem = only(check_catalog(catalog_copy.root))
    assert problem.file == PARKING
    assert problem.location == "location"
    assert "Invalid enum value 'somewhere'" in problem.message


def test_service_document_kinds_required_by_its_workflow_must_be_declared(
    catalog_copy: CatalogCopy,
) -> None:
    provide_info = '[[transitions]]\nname = "provide_info"\n'
    needs_proof = provide_info + 'requires = { documents = ["nachweis"] }\n'
    catalog_copy.replace(PERMIT, provide_info, needs_proof)
    problems = check_catalog(catalog_copy.root)
    message = (
        "workflow transition 'provide_info' requires document 'nachweis', "
        "which this service does not declare"
    )
    assert Problem(PARKING, "documents", message) in problems
    assert len(problems) == 2  # both services on the permit workflow


def test_file_name_must_match_code_and_version(catalog_copy: CatalogCopy) -> None:
    catalog_copy.replace(PARKING, "version = 1", "version = 2")
    problems = check_catalog(catalog_copy.root)
    assert (
        Problem(PARKING, "", "file name does not match its content (bewohnerparkausweis version 2)")
        in problems
    )


def test_missing_form_file_is_reported(catalog_copy: CatalogCopy) -> None:
    catalog_copy.path(PARKING_FORM).unlink()
    problem = only(check_catalog(catalog_copy.root))
    assert (problem.file, problem.location) == (PARKING, "form")
    assert problem.message == (
        "form file 'bewohnerparkausweis.v1.form.json' not found next to bewohnerparkausweis.v1.toml"
    )


def test_problem_prints_as_file_location_message() -> None:
    assert (
        str(Problem("workflows/x.v1.toml", "states[0]", "bad"))
        == "workflows/x.v1.toml:states[0]: bad"
    )


def test_form_titles_without_english_version_are_reported(catalog_copy: CatalogCopy) -> None:
    catalog_copy.edit_json(PARKING_FORM, lambda f: f["properties"]["plz"].pop("x-title-en"))
    problem = only(check_catalog(catalog_copy.root))
    assert problem == Problem(
        PARKING_FORM, "/properties/plz/title", "'title' needs an English version in 'x-title-en'"
    )


def test_an_enum_value_without_a_title_is_reported(catalog_copy: CatalogCopy) -> None:
    def drop(form: dict[str, Any]) -> None:
        del form["properties"]["haltereigenschaft"]["x-enum-titles"]["en"]["leasing"]

    catalog_copy.edit_json(PARKING_FORM, drop)
    problem = only(check_catalog(catalog_copy.root))
    assert problem == Problem(
        PARKING_FORM,
        "/properties/haltereigenschaft/x-enum-titles/en",
        "enum value 'leasing' has no 'en' title",
    )


def test_an_enum_without_titles_is_reported(catalog_copy: CatalogCopy) -> None:
    catalog_copy.edit_json(
        PARKING_FORM, lambda f: f["properties"]["laufzeit_monate"].pop("x-enum-titles")
    )
    problem = only(check_catalog(catalog_copy.root))
    assert problem.location == "/properties/laufzeit_monate/enum"
    assert "an enum needs 'x-enum-titles'" in problem.message


def test_a_title_for_an_unknown_enum_value_is_reported(catalog_copy: CatalogCopy) -> None:
    def add(form: dict[str, Any]) -> None:
        form["properties"]["parkzone"]["x-enum-titles"]["de"]["Z9"] = "Zone Z9"

    catalog_copy.edit_json(PARKING_FORM, add)
    problem = only(check_catalog(catalog_copy.root))
    assert problem.location == "/properties/parkzone/x-enum-titles/de/Z9"
    assert problem.message.startswith("'Z9' is not a value of the enum (A1, A2,")


def test_email_text_for_an_unknown_event_type_is_reported(catalog_copy: CatalogCopy) -> None:
    catalog_copy.replace(
        "services/strassenschaden.v1.toml",
        '[notifications."request.submitted".de]',
        '[notifications."request.submited".de]',
    )
    problem = only(check_catalog(catalog_copy.root))
    assert problem.file == "services/strassenschaden.v1.toml"
    assert "request.submited" in problem.message or "notifications" in problem.location


def test_state_without_open311_status_is_reported(catalog_copy: CatalogCopy) -> None:
    catalog_copy.replace(
        PERMIT,
        'label = { de = "Eingegangen", en = "Submitted" }\nopen311 = "open"\n',
        'label = { de = "Eingegangen", en = "Submitted" }\n',
    )
    problem = only(check_catalog(catalog_copy.root))
    assert problem.file == PERMIT
    assert problem.location == "states[1].open311"
    assert "open311" in problem.message


def test_terminal_state_open_for_open311_and_unknown_status_are_reported(
    catalog_copy: CatalogCopy,
) -> None:
    catalog_copy.replace(PERMIT, 'open311 = "closed"', 'open311 = "open"')
    problem = only(check_catalog(catalog_copy.root))
    assert problem == Problem(
        PERMIT,
        "states[5].open311",
        "terminal state 'approved' is closed for Open311 (open311 = \"closed\")",
    )
    catalog_copy.replace(PERMIT, 'open311 = "open"', 'open311 = "pending"')
    problem = only(check_catalog(catalog_copy.root))
    assert problem.location == "states[0].open311"


def test_open311_description_must_name_a_form_field(catalog_copy: CatalogCopy) -> None:
    road = "services/strassenschaden.v2.toml"
    catalog_copy.replace(road, 'description = "beschreibung"', 'description = "text"')
    problem = only(check_catalog(catalog_copy.root))
    assert problem == Problem(
        road,
        "open311.description",
        "Open311 description field 'text' is not a field of the form",
    )
