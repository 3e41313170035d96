"""Evidence a person reads and an auditor checks: each DUIS exchange as a sequence with the DSP's and the
S1SP's decisions in words, the trust anchors as one table with the changed cells marked, every message
written as it crossed, and the evidence pack: deterministic, verified, and refused after any one byte
of it changes."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

import pytest

from catalogue import CLAUSES
from reporting import pack
from reporting.anchor_view import cells, render_anchor_change
from reporting.annotate import evidence_html
from reporting.exchange_view import decisions, outcome, render_exchange, render_not_counted
from reporting.messages import MessageLog, scenario_key
from reporting.verify import check
from reporting.verify import main as verify_main
from tests.reporting_project import EASTERN, NAMES, WESTERN, anchors, sample_exchange

# --- the exchange as a sequence --------------------------------------------------------------------


def test_an_applied_correction_shows_both_halves_of_the_decision_with_their_clauses():
    dsp, s1sp = decisions(sample_exchange())
    assert (dsp.party, dsp.clauses) == ("DSP", (CLAUSES["SRPD-6.2.d"],))
    assert dsp.reason == (
        "Registration Data not checked under SRPD 6.2(d); accepted, the answer follows at the User's Receive "
        "Response Service"
    )
    assert s1sp.party == "S1SP1"
    assert s1sp.reason.startswith("Registration Data not checked: SRPD 6.2(d) for Network Operator certificates;")
    assert s1sp.clauses == (CLAUSES["PIA-3.3"], CLAUSES["S1SR-4.2"])


def test_a_refusal_by_the_s1sp_and_one_by_the_dsp_read_as_such():
    dsp, s1sp = decisions(sample_exchange("owner"))
    assert dsp.clauses == (CLAUSES["SRPD-6.2.d"],)
    assert (s1sp.party, s1sp.clauses) == ("S1SP1", (CLAUSES["S1SR-4.2"],))
    assert s1sp.reason.startswith("S1SP Alert S1SP-CERT-OWNER-MISMATCH: ")
    assert outcome(sample_exchange("owner")) == "E100: rejected by the S1SP with S1SP Alert S1SP-CERT-OWNER-MISMATCH"
    [refused] = decisions(sample_exchange("dsp"))
    assert (refused.party, refused.clauses) == ("DSP", (CLAUSES["SRPD-6.1.f"],))
    assert outcome(sample_exchange("dsp")) == "E4: rejected"


def test_the_sequence_names_organisations_and_keeps_their_ids_beside_them():
    page = render_exchange(sample_exchange(), "Update Security Credentials from Eastern Networks", NAMES)
    for leg in ("CV 4 request (Transform)", "Pre-Command", "Acknowledgement (I99)", "Response (I0)"):
        assert leg in page
    assert f"Eastern Networks ({EASTERN}) owns the NetworkOperator certificate held" in page
    assert "SRPD 6.2(d)</a> — New exception" in page and "S1SR 4.2</a> — Certificate-owner check" in page
    assert "<b>Outcome:</b> I0: succeeded." in page
    assert page.count(EASTERN) == page.count(f"({EASTERN})")  # never an ID without its name


def test_a_delivery_that_did_not_count_reads_as_such_on_the_scenarios_page(tmp_path: Path):
    rows = [
        {
            "delivered_at": "2030-01-15 10:03:00.000 UTC",
            "message": "alert 00-DB-12-34-56-78-90-A0:90-B3-D5-1F-30-02-00-00:21",
            "why": "re-delivered (seen first at 2030-01-15 10:00:01.250 UTC), not counted",
        }
    ]
    page = render_not_counted(rows, "deliveries delivered again or late")
    assert "re-delivered (seen first at 2030-01-15 10:00:01.250 UTC), not counted" in page
    assert "alert 00-DB-12-34-56-78-90-A0:90-B3-D5-1F-30-02-00-00:21" in page and "<script" not in page
    (tmp_path / "page.html").write_text(page)
    result = {"attachments": [{"name": "Not counted: deliveries delivered again or late", "type": "text/html",
                               "source": "page.html"}]}  # fmt: skip
    assert evidence_html(tmp_path, result) == [page]  # shown on the scenario's page, beside its exchanges


# --- the trust anchors as one table ----------------------------------------------------------------


def test_the_anchor_table_marks_exactly_the_cells_that_changed_and_names_their_owners():
    before, after = anchors()
    changed = [(cell.role, cell.key_use) for cell in cells(before, after) if cell.changed]
    assert changed == [("NetworkOperator", "DS"), ("NetworkOperator", "KA")]
    page = render_anchor_change(before, after, NAMES, "Trust anchors before and after")
    assert "2 of 6 cells changed (marked ▲)" in page
    assert page.count('class="changed"') == 2 and page.count('class="unchanged"') == 4
    assert "▲ Western Power<br><small" in page and WESTERN in page
    assert "Access Control Broker<br>" in page  # named by the caller, though the anchors give only its ID


# --- every message as it crossed -------------------------------------------------------------------


def test_each_message_is_written_byte_for_byte_under_its_scenario(tmp_path: Path):
    log = MessageLog(tmp_path)
    log.begin("features/mp107_correction.feature:34", "Eastern Networks puts …", ["SRPD 6.2(d)"])
    written = log.write(sample_exchange())
    folder = tmp_path / scenario_key("features/mp107_correction.feature:34")
    assert folder.name == "mp107_correction-L34"
    assert [path.name for path in written] == [
        "1.1-cv-4-request-transform.xml",
        "1.2-pre-command.xml",
        "1.3-pre-command-signed-with-the-user-s-digital-signing-key.bin",
        "1.4-cv-5-request-signed-pre-command.xml",
        "1.5-acknowledgement-i99.xml",
        "1.6-response-i0.xml",
    ]
    assert [path.read_bytes() for path in written] == [leg.xml for leg in sample_exchange().legs]
    assert json.loads((folder / "scenario.json").read_text())["clauses"] == ["SRPD 6.2(d)"]
    single = log.write_message("DUIS request: SRV 6.21 from the DCC Commissioning Party", b"<sr:Request/>")
    assert single is not None and single.name == "m1-duis-request-srv-6-21-from-the-dcc-commissioning-party.xml"
    assert MessageLog(None).write(sample_exchange()) == []  # plain behave: nothing written


# --- the evidence pack -----------------------------------------------------------------------------


@pytest.fixture()
def reports(tmp_path: Path) -> Path:
    """A reports folder as a run leaves it."""
    folder = tmp_path / "reports"
    (folder / "allure-report").mkdir(parents=True)
    (folder / "allure-report" / "index.html").write_text("<html>report</html>")
    (folder / "allure-results").mkdir()
    (folder / "allure-results" / "environment.properties").write_text("run.commit=abc\n")
    (folder / "junit" / "p1").mkdir(parents=True)
    (folder / "junit" / "p1" / "TESTS-x.xml").write_text("<testsuite/>")
    (folder / "messages" / "x-L3").mkdir(parents=True)
    (folder / "messages" / "x-L3" / "1.1-cv-4-request.xml").write_bytes(b"<sr:Request/>")
    for name in ("traceability.md", "traceability.csv", "sign-off.html", "run-identity.json"):
        (folder / name).write_text(name)
    return folder


def _environment(tmp_path: Path) -> Path:
    path = tmp_path / "dcc-uit.toml"
    path.write_text('name = "UIT-A"\n[dsp]\nurl = "https://dsp"\ntoken = "SECRET-1"\n[keys]\npassword = "SECRET-2"\n')
    return path


def _build(reports: Path, tmp_path: Path, out: str = "pack.tar.gz") -> Path:
    entries = pack.collect(reports, environment_files=[_environment(tmp_path)])
    built = pack.build(entries, tmp_path / out)
    pack.write_digest(built)
    return built


def _members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path) as archive:
        return {m.name: archive.extractfile(m).read() for m in archive.getmembers() if m.isfile()}  # type: ignore[union-attr]


def test_the_pack_holds_the_evidence_and_the_environment_without_secrets(reports: Path, tmp_path: Path):
    members = _members(_build(reports, tmp_path))
    assert set(members) == {
        "MANIFEST.sha256",
        "report/index.html",
        "traceability.md",
        "traceability.csv",
        "sign-off.html",
        "junit/p1/TESTS-x.xml",
        "messages/x-L3/1.1-cv-4-request.xml",
        "environment/run-identity.json",
        "environment/environment.properties",
        "environment/dcc-uit.toml",
    }
    environment = members["environment/dcc-uit.toml"].decode()
    assert (
        "SECRET" not in environment and 'token = "(redacted)"' in environment and 'url = "https://dsp"' in environment
    )


def test_the_same_inputs_give_the_same_pack_byte_for_byte(reports: Path, tmp_path: Path):
    first = _build(reports, tmp_path, "one.tar.gz").read_bytes()
    second = _build(reports, tmp_path, "two.tar.gz").read_bytes()
    assert first == second
    assert first.startswith(pack.GZIP_HEADER)
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(first))) as archive:
        assert {(m.mtime, m.uid, m.gid, m.uname, m.gname) for m in archive.getmembers()} == {
            (pack.FIXED_MTIME, 0, 0, "", "")
        }
        assert [m.name for m in archive.getmembers() if m.isfile()] == sorted(
            m.name for m in archive.getmembers() if m.isfile()
        )


def test_verify_passes_a_pack_and_names_what_is_wrong_with_a_changed_one(
    reports: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    built = _build(reports, tmp_path)
    assert check(built) == []
    assert verify_main([str(built)]) == 0
    assert "verified (9 files match MANIFEST.sha256)" in capsys.readouterr().out
    original = built.read_bytes()
    for offset in (len(original) // 2, 5, len(original) - 3):  # inside the data, the gzip mtime, the trailer
        changed = bytearray(original)
        changed[offset] ^= 0x01
        built.write_bytes(bytes(changed))
        assert check(built), f"a change at byte {offset} went unnoticed"
        assert verify_main([str(built)]) == 1
    built.write_bytes(original)
    assert verify_main([str(built)]) == 0


def test_verify_finds_a_changed_missing_or_extra_file_even_without_the_digest_beside_the_pack(
    reports: Path, tmp_path: Path
):
    entries = pack.collect(reports)
    good = pack.build(entries, tmp_path / "good.tar.gz")
    assert check(good) == []
    listed = pack.manifest(entries)
    tampered = {**entries, "traceability.md": b"edited", pack.MANIFEST: listed}
    assert check(pack.build(tampered, tmp_path / "t1.tar.gz")) == []  # a rebuilt pack has a new manifest ...
    rebuilt = tmp_path / "t2.tar.gz"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, data in {**tampered, "extra.txt": b"x"}.items():
            if name == "sign-off.html":
                continue
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    rebuilt.write_bytes(gzip.compress(buffer.getvalue(), mtime=0))
    faults = check(rebuilt)  # ... but one put together by hand around the old manifest is refused
    assert "traceability.md: SHA-256 differs from the manifest (the file was changed)" in faults
    assert "sign-off.html: listed in the manifest but missing" in faults
    assert "extra.txt: not in the manifest" in faults


def test_an_unpacked_folder_is_checked_the_same_way(reports: Path, tmp_path: Path):
    folder = tmp_path / "unpacked"
    with tarfile.open(_build(reports, tmp_path)) as archive:
        archive.extractall(folder, filter="data")
    assert check(folder) == []
    (folder / "traceability.csv").write_text("changed")
    assert check(folder) == ["traceability.csv: SHA-256 differs from the manifest (the file was changed)"]
