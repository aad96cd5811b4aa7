"""case.toml is read strictly: a typo is an error naming the key and its line, never ignored."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from atlas.errors import ManifestError
from atlas.store import Case
from atlas.store.manifest import TEMPLATE, attributed_uris, load_manifest, parse_manifest

P = Path("case.toml")

ORDER = """
[[place]]
name = "victim home"
party = "victim"
lat = 51.5007
lon = -0.1246
radius_m = 200

[[order]]
type = "restraining-order"
against = "suspect"
protects = "victim"
start = 2026-03-01
end = 2026-09-01
exclusion_zones = ["victim home"]
reference = "T20260001"
"""


def test_the_template_atlas_init_writes_parses(case_dir: Path) -> None:
    manifest = Case.open(case_dir).manifest
    assert (manifest.reference, manifest.officer, manifest.exhibit_prefix) == ("OP-ATLAS-0001", "DC 1234 A. Officer", "AO")
    assert (manifest.timezone, manifest.region) == ("Europe/London", "GB")
    assert [(p.id, p.role, p.identifiers) for p in manifest.parties] == [
        ("victim", "victim", ("tel:+447700900001",)),
        ("suspect", "suspect", ("tel:+447700900002",)),
    ]
    assert manifest.places == () and manifest.orders == ()
    assert (case_dir / "case.toml").read_text(encoding="utf-8") == TEMPLATE


def test_init_never_overwrites_a_manifest(case_dir: Path, atlas: Callable[..., object]) -> None:
    (case_dir / "case.toml").write_text(TEMPLATE + "\n# edited\n", encoding="utf-8")
    run = atlas("init", case_dir)
    assert run.code == 2  # type: ignore[attr-defined]
    assert run.err == f"atlas: error: {case_dir / 'case.toml'}: already exists; not overwritten\n"  # type: ignore[attr-defined]
    assert (case_dir / "case.toml").read_text(encoding="utf-8").endswith("# edited\n")


def test_a_full_manifest_with_places_orders_and_display_names() -> None:
    text = TEMPLATE.replace('# display_names = ["Dan"]', 'display_names = ["Dan", "D"]') + ORDER
    text = text.replace("# charge_date = 2026-12-01", "charge_date = 2026-12-01")
    m = parse_manifest(text, P)
    assert m.charge_date == date(2026, 12, 1)
    assert m.place("victim home").radius_m == 200.0
    [order] = m.orders
    assert (order.type, order.against, order.protects, order.exclusion_zones, order.no_contact) == (
        "restraining-order", "suspect", "victim", ("victim home",), True,
    )
    # A date alone starts at local midnight and an end date is inclusive (BST in September).
    assert order.start == datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
    assert order.end == datetime(2026, 9, 1, 23, 0, tzinfo=UTC)
    assert order.assumptions == (
        "start date 2026-03-01 taken from 00:00 Europe/London",
        "end date 2026-09-01 taken as inclusive (until midnight at its end, Europe/London)",
    )
    assert attributed_uris(m.party("suspect"), ["s1"]) == {"tel:+447700900002", "name:s1:Dan", "name:s1:D"}


def _line(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize(
    ("edit", "needle", "message"),
    [
        (lambda t: t.replace('region = "GB"', 'region = "GB"\nrefrence = "x"'), "refrence",
         "[case] refrence: unknown key (known keys: analyst, charge_date, collar_number, cross_case_search, exhibit_prefix, "
         "experience, force, "
         "impact_window_days, maker_age, occupation, officer, reference, region, report_date, statement_date, timezone)"),
        (lambda t: t.replace('# display_names = ["Dan"]', 'display_name = ["Dan"]'), "display_name =",
         "[[party]] #2 display_name: unknown key"),
        (lambda t: t.replace('[case]\n', '[case]\nextra.x = 1\n'), "extra.x", "[case] extra: unknown key"),
        (lambda t: t.replace('timezone = "Europe/London"', 'timezone = "Europe/Londn"'), "Europe/Londn",
         "[case] timezone: unknown time zone 'Europe/Londn'"),
        (lambda t: t.replace('role = "suspect"', 'role = "suspcet"'), "suspcet",
         "[[party]] #2 role: must be one of victim, suspect, witness, other"),
        (lambda t: t.replace('["tel:+447700900002"]', '["07700900002"]'), '["07700900002"]',
         "[[party]] #2 identifiers: '07700900002' is not an identifier URI such as tel:+447700900123"),
        (lambda t: t.replace("# charge_date = 2026-12-01", "charge_date = 2026-12-01T10:00:00"), "charge_date",
         "[case] charge_date: expected a date like 2026-12-01, not a date and time"),
        (lambda t: t + ORDER.replace("lat = 51.5007", 'lat = "51.5"'), 'lat = "51.5"',
         "[[place]] #1 lat: expected float, got str '51.5'"),
        (lambda t: t + ORDER.replace("lat = 51.5007", "lat = 95.0"), "lat = 95.0",
         "[[place]] #1 lat: latitude must be between -90 and 90"),
        (lambda t: t + ORDER.replace("radius_m = 200", "radius_m = 0"), "radius_m = 0",
         "[[place]] #1 radius_m: radius must be positive (metres)"),
        (lambda t: t + ORDER.replace('party = "victim"', 'party = "victm"'), 'party = "victm"',
         "[[place]] #1 party: no party 'victm'"),
        (lambda t: t + ORDER.replace('against = "suspect"', 'against = "suspekt"'), "suspekt",
         "[[order]] #1 against: no party 'suspekt'"),
        (lambda t: t + ORDER.replace('protects = "victim"', 'protects = "witness"'), 'protects = "witness"',
         "[[order]] #1 protects: no party 'witness'"),
        (lambda t: t + ORDER.replace('["victim home"]', '["victims home"]'), '["victims home"]',
         "[[order]] #1 exclusion_zones: no place 'victims home'"),
        (lambda t: t + ORDER.replace('"restraining-order"', '"SPO order"'), '"SPO order"',
         "[[order]] #1 type: must be one of spo, interim-spo, restraining-order"),
        (lambda t: t + ORDER.replace("end = 2026-09-01", "end = 2026-02-01"), "end = 2026-02-01",
         "[[order]] #1 end: order ends before it starts"),
        (lambda t: t + ORDER + "no_contact = \"yes\"\n", 'no_contact = "yes"',
         "[[order]] #1 no_contact: expected bool, got str 'yes'"),
        (lambda t: t + "\n[places]\nname = \"x\"\n", "[places]", "unknown table [places] (known: case, reported, party, place, order, impact)"),
        (lambda t: 'reference = "x"\n' + t, 'reference = "x"', "reference: unknown key outside any table"),
        (lambda t: t + "\nfoo = \n", "foo = ", "not valid TOML: Invalid value"),
    ],
)
def test_mistakes_name_the_key_and_its_line(edit: Callable[[str], str], needle: str, message: str) -> None:
    text = edit(TEMPLATE)
    with pytest.raises(ManifestError) as err:
        parse_manifest(text, P)
    assert str(err.value).startswith(f"case.toml:{_line(text, needle)}: {message}")


def test_a_single_party_table_is_an_error_not_a_list_of_letters() -> None:
    text = '[case]\nreference = "r"\nofficer = "o"\nexhibit_prefix = "X"\n\n[party]\nid = "v"\nrole = "victim"\n'
    with pytest.raises(ManifestError, match=r"^case.toml:6: \[party\] must be written \[\[party\]\]"):
        parse_manifest(text, P)


def test_a_missing_required_key_names_its_table() -> None:
    with pytest.raises(ManifestError, match=r"^case.toml:6: \[\[party\]\] #1: missing required key 'role'"):
        parse_manifest('[case]\nreference = "r"\nofficer = "o"\nexhibit_prefix = "X"\n\n[[party]]\nid = "v"\n', P)
    with pytest.raises(ManifestError, match=r"^case.toml:1: \[case\]: missing required key 'officer'"):
        parse_manifest('[case]\nreference = "r"\nexhibit_prefix = "X"\n', P)
    with pytest.raises(ManifestError, match=r"^case.toml: missing the \[case\] table"):
        parse_manifest('', P)


def test_a_missing_manifest_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match=r"no case manifest \(run `atlas init .*` first\)"):
        load_manifest(tmp_path / "case.toml")


def test_bad_manifest_through_the_cli_is_one_line_with_exit_2(case_dir: Path, atlas: Callable[..., object]) -> None:
    path = case_dir / "case.toml"
    path.write_text(TEMPLATE.replace('region = "GB"', 'regoin = "GB"'), encoding="utf-8")
    run = atlas("sources", case_dir)
    assert run.code == 2  # type: ignore[attr-defined]
    line = _line(path.read_text(encoding="utf-8"), "regoin")
    assert run.err.startswith(f"atlas: error: {path}:{line}: [case] regoin: unknown key")  # type: ignore[attr-defined]
    assert run.err.count("\n") == 1  # type: ignore[attr-defined]


def test_collar_number_is_an_optional_case_key_and_the_template_documents_it(tmp_path: Path) -> None:
    from atlas.store.manifest import TEMPLATE, parse_manifest
    from atlas.store.officer import parse_officer

    assert "# collar_number = " in TEMPLATE
    text = TEMPLATE.replace('officer = "DC 1234 A. Officer"', 'officer = "A. Officer"\ncollar_number = "4321"')
    m = parse_manifest(text, tmp_path / "case.toml")
    assert m.collar_number == "4321"
    assert parse_officer(m.officer, collar_number=m.collar_number).label == "4321 A. Officer"


def test_the_statement_maker_keys_are_optional_and_read_from_the_template_comments() -> None:
    """The MG11 maker's age line, experience and statement date (commented in the template)."""
    plain = parse_manifest(TEMPLATE, P)
    assert (plain.maker_age, plain.experience, plain.statement_date) == ("Over 18", "", None)
    text = TEMPLATE
    for key in ("analyst", "occupation", "maker_age", "experience", "statement_date"):
        assert f"# {key} = " in text, key
        text = text.replace(f"# {key} = ", f"{key} = ")
    m = parse_manifest(text, P)
    assert m.analyst == "Jo Analyst" and m.occupation == "Digital investigator" and m.maker_age == "Over 18"
    assert m.experience.startswith("I have worked in the Digital Forensics Unit")
    assert m.statement_date == date(2026, 12, 1)
    with pytest.raises(ManifestError, match=r"\[case\] statement_date: expected a date"):
        parse_manifest(text.replace("statement_date = 2026-12-01", "statement_date = 2026-12-01T10:00:00"), P)


def test_the_reported_table_from_the_template_comments_and_its_checks() -> None:
    """``[reported]``: the incidents as the victim reported them, before any data (atlas triage)."""
    assert parse_manifest(TEMPLATE, P).reported is None
    text = TEMPLATE.replace("# [reported]", "[reported]")
    for key in ("first_incident", "latest_incident", "summary", "threat_occasions", "source"):
        assert f"# {key} = " in text, key
        text = text.replace(f"# {key} = ", f"{key} = ", 1)  # the first: [reported] comes before [[impact]]
    r = parse_manifest(text, P).reported
    assert r is not None
    assert (r.first_incident, r.latest_incident, r.threat_occasions) == (date(2026, 5, 2), date(2026, 8, 30), 0)
    assert r.summary.startswith("Calls and texts") and r.source == "initial account 02/09/2026"
    bad = text.replace("latest_incident = 2026-08-30", "latest_incident = 2026-04-30")
    with pytest.raises(ManifestError, match=rf"^case.toml:{_line(bad, 'latest_incident = 2026-04-30')}: "
                                            r"\[reported\] latest_incident: 2026-04-30 is before first_incident"):
        parse_manifest(bad, P)
    typo = text.replace("threat_occasions = 0", "threats = 0")
    with pytest.raises(ManifestError, match=r"\[reported\] threats: unknown key"):
        parse_manifest(typo, P)
    with pytest.raises(ManifestError, match=r"\[reported\] threat_occasions: must not be negative"):
        parse_manifest(text.replace("threat_occasions = 0", "threat_occasions = -1"), P)
    with pytest.raises(ManifestError, match=r"\[reported\] first_incident: expected a date"):
        parse_manifest(text.replace("first_incident = 2026-05-02", "first_incident = 2026-05-02T10:00:00"), P)


@pytest.mark.parametrize("prefix", ["AB, CD", "AB;CD", "OP/JA", 'J"A', "J'A", "J A", "", "-JA", "JA-", "1JA",
                                    "JA\n", "ÁB", "JA.", "ABCDEFGHIJKLMNOPQ"])
def test_an_exhibit_prefix_that_is_not_initials_is_refused_naming_the_key(prefix: str) -> None:
    """A reference is ``<prefix>/<number>``: a prefix with a comma, ';', '/', a quote or a space would
    make references like ``AB, CD/7`` that read as two, or as another's number."""
    import json

    text = f'[case]\nreference = "r"\nofficer = "o"\nexhibit_prefix = {json.dumps(prefix)}\n'
    with pytest.raises(ManifestError, match=r"^case\.toml:4: \[case\] exhibit_prefix: .*(initials|empty)"):
        parse_manifest(text, P)


@pytest.mark.parametrize("prefix", ["JA", "ja", "DS1234", "AB-C", "X", "ABCDEFGHIJKLMNOP"])
def test_an_exhibit_prefix_of_initials_a_number_or_a_hyphen_is_read(prefix: str) -> None:
    text = f'[case]\nreference = "r"\nofficer = "o"\nexhibit_prefix = "{prefix}"\n'
    assert parse_manifest(text, P).exhibit_prefix == prefix


def test_a_case_whose_prefix_is_refused_is_one_error_naming_case_toml(tmp_path: Path,
                                                                      atlas: Callable[..., object]) -> None:
    root = tmp_path / "case"
    assert atlas("init", root).code == 0  # type: ignore[attr-defined]
    toml = root / "case.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('exhibit_prefix = "AO"', 'exhibit_prefix = "AB, CD"'),
                    encoding="utf-8")
    run = atlas("sources", root)
    assert run.code == 2, run  # type: ignore[attr-defined]
    assert f"{toml}:" in run.err and "[case] exhibit_prefix: 'AB, CD' is not an exhibit prefix" in run.err, run.err  # type: ignore[attr-defined]
    assert "Traceback" not in run.err  # type: ignore[attr-defined]
