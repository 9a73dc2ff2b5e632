"""Trustworthy runs, part two (issue 12), on the real Kent files from ../shared/data copied into a
temporary folder: processed tables always match the data folder, one run at a time per folder, data
strings are text, the same records under another name are not counted twice, every bad input or
refused write is one line naming the file and exit 2, and the report folder is always whole.

Expected counts come from the csv module (conftest.count_street_rows), never from the ingest."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

import pipeline
from conftest import PROJECT_ROOT, child_outliving_killed_parent, count_street_rows
from csp_assessment import run, store
from csp_assessment.errors import InputError
from csp_assessment.ingest.folder import ingest_folder
from csp_assessment.runlock import LOCK_NAME, RunLocked, exclusive_run
from csp_assessment.display.text import as_text

MEDWAY = "E06000035"
PAYLOAD = "River [see details](javascript:alert(document.domain)) <script>alert(1)</script> *b* _i_ `c` |p| $m$"


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*"))
            if p.is_file() and not p.name.startswith(".csp-run")}  # the run lock is not an output


def _street(folder: Path, month: str) -> Path:
    return folder / "police-uk" / month / f"{month}-kent-street.csv"


def _police_total(processed: Path, month: str | None = None) -> int:
    counts = store.read_table(processed, "police_counts")
    return int(counts[counts["month"] == month]["records"].sum() if month else counts["records"].sum())


def _cli(real_folder: Path, tmp_path: Path, *extra: str, out: Path | None = None) -> list[str]:
    return ["--year", "2022", "--area", MEDWAY, "--data", str(real_folder), "--from", "2022-01", "--to", "2022-03",
            "--processed", str(tmp_path / "processed"), "--out", str(out or tmp_path / "reports"),
            "--sections", "asb", *extra]


def _one_line_error(capsys, code: int, *fragments: str) -> str:
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert err.startswith("error: ") and "\n" not in err and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in err, err
    return err


# ---------------------------------------------------------------- 1. tables match the data folder

def test_a_refused_folder_replaces_no_table_and_the_next_run_counts_its_own_data(real_folder, tmp_path):
    processed = tmp_path / "processed"
    ingest_folder(real_folder, processed)
    before = _digests(processed)
    february = _street(real_folder, "2022-02")
    lines = february.read_text(encoding="utf-8").splitlines(keepends=True)
    february.write_text("".join(lines + lines[1:151]), encoding="utf-8")  # 150 extra February rows
    lookup = real_folder / "ons" / "lsoa11-ward17-lad17-lookup.csv"
    good_lookup = lookup.read_text(encoding="utf-8")
    lookup.write_text(good_lookup + good_lookup.splitlines()[1] + "\n", encoding="utf-8")  # a duplicated LSOA

    with pytest.raises(InputError) as refused:
        ingest_folder(real_folder, processed)
    assert "lsoa11-ward17-lad17-lookup.csv" in str(refused.value)
    assert _digests(processed) == before  # not one table replaced, the manifest as it was
    assert not [p for p in processed.iterdir() if p.name.startswith(".ingest-staging-") or p.suffix == ".tmp"]

    lookup.write_text(good_lookup, encoding="utf-8")
    summary = ingest_folder(real_folder, processed)
    assert not summary.reused and "police_uk" in summary.rebuilt
    assert _police_total(processed, "2022-02") == count_street_rows(february)
    assert _police_total(processed) == count_street_rows(*(real_folder / "police-uk").rglob("*.csv"))


def test_a_table_whose_input_left_the_folder_goes_with_it_even_from_another_folder(real_folder, tmp_path):
    processed = tmp_path / "processed"
    ingest_folder(real_folder, processed)
    assert store.has_table(processed, "population_la")
    other = tmp_path / "other"
    shutil.copytree(real_folder, other)
    shutil.rmtree(other / "ons" / "mid-year-estimates")
    summary = ingest_folder(other, processed)
    assert not store.has_table(processed, "population_la")
    assert "mid_year_estimates" not in summary.sources
    assert "mid_year_estimates" not in json.loads((processed / store.MANIFEST).read_text())["sources"]


def test_touching_a_file_changes_nothing_and_force_reads_everything_again(real_folder, tmp_path):
    processed = tmp_path / "processed"
    first = ingest_folder(real_folder, processed)
    tables = {p.name: p.stat().st_mtime_ns for p in processed.glob("*.parquet")}
    for path in real_folder.rglob("*.*"):
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 5 * 10**9))
    assert ingest_folder(real_folder, processed).reused
    assert {p.name: p.stat().st_mtime_ns for p in processed.glob("*.parquet")} == tables
    forced = ingest_folder(real_folder, processed, force=True)
    assert not forced.reused and set(forced.rebuilt) == set(first.rebuilt)


# ---------------------------------------------------------------- 2. one run at a time

def _hold_lock(folder: Path) -> subprocess.Popen:
    """Another process holding the run lock of ``folder``, as a run does."""
    code = textwrap.dedent(f"""
        import sys, time
        from csp_assessment.runlock import exclusive_run
        with exclusive_run({{"reports": {str(folder)!r}}}, print):
            print("held", flush=True)
            time.sleep(600)
    """)
    holder = subprocess.Popen([sys.executable, "-c", code], cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_a_second_run_waits_with_a_message_then_refuses_and_a_killed_runs_lock_is_cleared(tmp_path):
    folder = tmp_path / "reports"
    holder = _hold_lock(folder)
    said: list[str] = []
    try:
        with pytest.raises(RunLocked) as locked:
            with exclusive_run({"reports": folder}, said.append, wait_seconds=1):
                pass
        assert f"process {holder.pid}" in said[0] and said[0].startswith("waiting")
        assert str(folder) in str(locked.value) and "--out" in str(locked.value)
    finally:
        holder.send_signal(signal.SIGKILL)  # a run killed while holding the lock
        holder.wait()
    assert (folder / LOCK_NAME).exists()
    said.clear()
    with exclusive_run({"reports": folder}, said.append, wait_seconds=1):
        entered = True
    assert entered and "left when it stopped" in said[0]


def test_a_run_into_a_folder_in_use_is_refused_in_one_line(real_folder, tmp_path, capsys):
    holder = _hold_lock(tmp_path / "processed")
    try:
        code = pipeline.cli(_cli(real_folder, tmp_path, "--wait", "0"))
    finally:
        holder.kill()
        holder.wait()
    _one_line_error(capsys, code, str(tmp_path / "processed"), "in use")
    assert not (tmp_path / "processed" / store.MANIFEST).exists()  # nothing ingested under the other run


# ---------------------------------------------------------------- 3. data strings are text

def test_markup_in_a_data_string_is_shown_as_text():
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    for context in ("{}", "**Area** · {}", "<ul><li>{}</li></ul>", "- {}"):
        rendered = markdown2html_mistune(context.format(as_text(PAYLOAD + "\n\n# heading")))
        assert "<a " not in rendered and "<script" not in rendered and "<em>" not in rendered
        assert "<code>" not in rendered and "<h1" not in rendered and "<table" not in rendered
        assert "javascript:" in rendered.replace("&#58;", ":")  # shown, as text


# ---------------------------------------------------------------- 4. the same records under another name

def test_a_copy_under_another_forces_name_is_refused(real_folder, tmp_path):
    copy = real_folder / "police-uk" / "2022-02" / "2022-02-essex-street.csv"
    shutil.copy(_street(real_folder, "2022-02"), copy)
    with pytest.raises(InputError) as refused:
        ingest_folder(real_folder, tmp_path / "processed")
    assert refused.value.path.endswith("2022-02-essex-street.csv") and refused.value.column == "Reported by"
    assert refused.value.row == 2 and "'essex'" in str(refused.value) and "Kent Police" in str(refused.value)
    assert not store.has_table(tmp_path / "processed", "police_counts")


def test_an_identical_file_is_counted_once_and_reported(real_folder, tmp_path):
    february = _street(real_folder, "2022-02")
    shutil.copy(february, (real_folder / "copies").mkdir() or real_folder / "copies" / february.name)
    summary = ingest_folder(real_folder, tmp_path / "processed")
    assert _police_total(tmp_path / "processed", "2022-02") == count_street_rows(february)
    assert any("2022-02-kent-street.csv" in w and ("same file" in w or "repeats" in w) for w in summary.warnings)


def test_crime_ids_given_by_two_files_of_a_month_are_refused(real_folder, tmp_path):
    february = _street(real_folder, "2022-02")
    essex = february.with_name("2022-02-essex-street.csv")
    essex.write_text(february.read_text(encoding="utf-8").replace("Kent Police", "Essex Police"), encoding="utf-8")
    with pytest.raises(InputError) as refused:
        ingest_folder(real_folder, tmp_path / "processed")
    message = str(refused.value)
    shared = len({row for row in _crime_ids(february)})
    assert "2022-02-essex-street.csv" in message and "2022-02-kent-street.csv" in message
    assert f"{shared:,} of its Crime IDs" in message


def _crime_ids(path: Path) -> set[str]:
    import csv

    with open(path, newline="", encoding="utf-8-sig") as fh:
        return {row["Crime ID"] for row in csv.DictReader(fh) if row["Crime ID"].strip()}


# ---------------------------------------------------------------- 5. no tracebacks

def _damage_field(folder: Path) -> str:
    february = _street(folder, "2022-02")
    lines = february.read_text(encoding="utf-8").split("\n")
    cells = lines[5].split(",")
    cells[6] = '"' + "x" * 10_000_000 + '"'
    lines[5] = ",".join(cells)
    february.write_text("\n".join(lines), encoding="utf-8")
    return "2022-02-kent-street.csv, row 6"


def _empty_workbook(folder: Path) -> str:
    (folder / "ons" / "mid-year-estimates" / "extra.xls").write_bytes(b"")
    return "extra.xls"


def _truncated_workbook(folder: Path) -> str:
    workbook = folder / "ons" / "mid-year-estimates" / "ukpopestimatesmid2020on2021geography.xls"
    workbook.write_bytes(workbook.read_bytes()[:20_000])
    return "ukpopestimatesmid2020on2021geography.xls"


def _corrupt_zip_member(folder: Path) -> str:
    import zipfile

    archive = folder / "police-uk" / "police.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for month in ("2022-01", "2022-02", "2022-03"):
            zf.write(_street(folder, month), f"{month}/{month}-kent-street.csv")
            shutil.rmtree(folder / "police-uk" / month)
    data = bytearray(archive.read_bytes())
    start = data.find(b"2022-02/2022-02-kent-street.csv") + 200
    data[start:start + 2000] = bytes(2000)
    archive.write_bytes(bytes(data))
    return "police.zip!2022-02/2022-02-kent-street.csv"


def _month_twice(folder: Path) -> str:
    february = _street(folder, "2022-02")
    text = february.read_text(encoding="utf-8")
    header, rest = text.split("\n", 1)
    february.write_text(header.replace("Context", "Month") + "\n" + rest, encoding="utf-8")
    return "column 'Month'"


def _ward_name_renamed(folder: Path) -> str:
    lookup = folder / "ons" / "lsoa11-ward17-lad17-lookup.csv"
    header, rest = lookup.read_text(encoding="utf-8").split("\n", 1)
    lookup.write_text(header.replace("WD17NM,", "Ward name,") + "\n" + rest, encoding="utf-8")
    return "lsoa11-ward17-lad17-lookup.csv, row 1, column 'WD<yy>NM'"


@pytest.mark.parametrize("damage", [_damage_field, _empty_workbook, _truncated_workbook, _corrupt_zip_member,
                                    _month_twice, _ward_name_renamed])
def test_a_bad_input_stops_in_one_line_naming_the_file_and_writes_nothing(damage, real_folder, tmp_path, capsys):
    names = damage(real_folder)
    code = pipeline.cli(_cli(real_folder, tmp_path))
    _one_line_error(capsys, code, names)
    assert not (tmp_path / "processed" / store.MANIFEST).exists()
    assert not list((tmp_path / "processed").glob("*.parquet")) and not (tmp_path / "reports" / "2022").exists()


def test_a_column_named_filename_reads_like_any_other(real_folder, tmp_path):
    february = _street(real_folder, "2022-02")
    header, rest = february.read_text(encoding="utf-8").split("\n", 1)
    february.write_text(header.replace("Context", "filename") + "\n" + rest, encoding="utf-8")
    ingest_folder(real_folder, tmp_path / "processed")
    assert _police_total(tmp_path / "processed", "2022-02") == count_street_rows(february)


@pytest.mark.parametrize("workers", ["-1", "0"])
def test_workers_below_one_is_refused(workers, real_folder, tmp_path, capsys):
    _one_line_error(capsys, pipeline.cli(_cli(real_folder, tmp_path, "--workers", workers)), "--workers")


def test_out_pointing_at_a_file_is_refused(real_folder, tmp_path, capsys):
    (tmp_path / "a-file").write_text("not a folder")
    code = pipeline.cli(_cli(real_folder, tmp_path, out=tmp_path / "a-file"))
    _one_line_error(capsys, code, "a-file", "not a folder", "--out")


def test_a_read_only_out_is_refused_in_one_line(real_folder, tmp_path, capsys, monkeypatch):
    out = tmp_path / "read-only"
    out.mkdir()
    if os.geteuid() == 0:  # root writes anywhere: refuse writes under the folder as a read-only mount would
        real_open = os.open

        def read_only(path, flags, *args, **kwargs):
            if str(path).startswith(str(out)) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
                raise PermissionError(errno.EROFS, os.strerror(errno.EROFS), str(path))
            return real_open(path, flags, *args, **kwargs)

        monkeypatch.setattr(os, "open", read_only)
    else:
        out.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        code = pipeline.cli(_cli(real_folder, tmp_path, out=out))
    finally:
        out.chmod(0o755)
    _one_line_error(capsys, code, str(out), "--out")


def _full_disk(monkeypatch, module, name):
    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(args[0]))

    monkeypatch.setattr(module, name, no_space)


def test_a_full_disk_for_processed_leaves_the_previous_tables(real_folder, tmp_path, capsys, monkeypatch):
    processed = tmp_path / "processed"
    ingest_folder(real_folder, processed)
    before = _digests(processed)
    _full_disk(monkeypatch, store, "write_table")
    code = pipeline.cli(_cli(real_folder, tmp_path, "--force"))
    _one_line_error(capsys, code, "disk is full")
    assert _digests(processed) == before
    assert not [p for p in processed.iterdir() if p.name.startswith(".ingest-staging-")]


def test_a_full_disk_for_out_leaves_no_half_written_report(real_folder, tmp_path, capsys, monkeypatch):
    _full_disk(monkeypatch, run, "execute_section")  # the first notebook written into the staging folder
    code = pipeline.cli(_cli(real_folder, tmp_path))
    _one_line_error(capsys, code, "disk is full")
    assert sorted(p.name for p in (tmp_path / "reports").iterdir() if not p.name.startswith(".csp-run")) == []


def test_no_loopback_network_is_said_at_once(real_folder, tmp_path, capsys, monkeypatch):
    def refused(self, address):
        raise OSError(errno.EADDRNOTAVAIL, os.strerror(errno.EADDRNOTAVAIL))

    monkeypatch.setattr(socket.socket, "bind", refused)
    code = pipeline.cli(_cli(real_folder, tmp_path))
    _one_line_error(capsys, code, "127.0.0.1", "loopback")
    assert not (tmp_path / "reports" / ".2022-running").exists()


# ---------------------------------------------------------------- 6. the report is always in place

def test_a_swap_interrupted_between_its_renames_is_restored_and_said(tmp_path):
    final = tmp_path / "reports" / "2022"
    previous = tmp_path / "reports" / ".2022-previous"
    previous.mkdir(parents=True)
    (previous / "index.html").write_text("the previous report")
    said: list[str] = []
    run._restore_interrupted_swap(final, said.append)
    assert (final / "index.html").read_text() == "the previous report" and not previous.exists()
    assert said and "restored" in said[0]


def test_export_processes_end_when_their_run_is_killed(tmp_path):
    code = textwrap.dedent("""
        import multiprocessing, os, time
        from concurrent.futures import ProcessPoolExecutor
        from csp_assessment.engine import end_with_parent as _end_with_parent
        if __name__ == "__main__":
            pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                                       initializer=_end_with_parent, initargs=(os.getpid(),))
            print(pool.submit(os.getpid).result(), flush=True)
            pool.submit(time.sleep, 600)
            time.sleep(600)
    """)
    survivor = child_outliving_killed_parent(tmp_path, code, 10)
    assert survivor is None, f"export worker {survivor} outlived its run"


# ---------------------------------------------------------------- 3, 7: a whole run with markup in the data

def _plant_payloads(folder: Path) -> None:
    """Markup in every text column the crime sections print: ward, LSOA and area names, crime types."""
    lookup = folder / "ons" / "lsoa11-ward17-lad17-lookup.csv"
    table = pd.read_csv(lookup, dtype=str, keep_default_na=False)
    medway = table["LAD17CD"] == MEDWAY
    biggest_ward = table[medway]["WD17CD"].value_counts().index[0]
    table.loc[table["WD17CD"] == biggest_ward, "WD17NM"] = PAYLOAD
    table.loc[medway, "LSOA11NM"] = PAYLOAD
    table.loc[medway, "LAD17NM"] = "Medway " + PAYLOAD
    table.to_csv(lookup, index=False)
    for month in ("2022-01", "2022-02", "2022-03"):
        street = _street(folder, month)
        street.write_text(street.read_text(encoding="utf-8").replace(",Bicycle theft,", f",{PAYLOAD.replace(',', ' ')},"),
                          encoding="utf-8")


def _elements(page: str) -> list[tuple[str, list]]:
    """Every element of an HTML page, as (tag, attributes)."""
    from html.parser import HTMLParser

    found = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, attrs))

    Collect().feed(page)
    return found


def _visible_text(page: str) -> str:
    from html.parser import HTMLParser

    parts = []

    class Text(HTMLParser):
        def handle_data(self, data):
            parts.append(data)

    Text(convert_charrefs=True).feed(page)
    return "".join(parts)


@pytest.mark.slow
def test_a_run_with_markup_in_its_data_prints_it_as_text_in_shareable_files(real_folder, tmp_path, capsys):
    _plant_payloads(real_folder)
    old_umask = os.umask(0o022)
    try:
        code = pipeline.cli(_cli(real_folder, tmp_path, "--sections", "all_crime"))
    finally:
        os.umask(old_umask)
    assert code == 0, capsys.readouterr().err
    report = tmp_path / "reports" / "2022"
    pages = [report / "01_all_crime.html", report / "01_all_crime-analyst.html", report / "strategic-assessment-2022.html",
             report / "index.html"]
    for page in pages:
        text = page.read_text(encoding="utf-8")
        elements = _elements(text)
        assert not [e for e in elements if e[0] == "script"], page.name
        links = [(tag, name, value) for tag, attributes in elements for name, value in attributes
                 if name in ("href", "src", "action", "formaction", "xlink:href") or name.startswith("on")]
        assert not [link for link in links if "javascript" in (link[2] or "").lower() or link[1].startswith("on")]
        visible = _visible_text(text)  # wherever the payload is shown, it is shown whole, as typed
        assert visible.count(PAYLOAD) == visible.count("see details"), page.name
        # ward and crime type names are printed in the reports; the index names the area as params do
        assert page.name == "index.html" or visible.count(PAYLOAD) > 0, page.name
        assert 'http-equiv="Content-Security-Policy"' in text and "script-src 'none'" in text, page.name

    # 7. files readable as the umask allows
    modes = {p.relative_to(report): stat.S_IMODE(p.stat().st_mode) for p in report.rglob("*") if p.is_file()}
    assert set(modes.values()) == {0o644}, {str(k): oct(v) for k, v in modes.items() if v != 0o644}

    # 7. another area's run never replaces this report
    before = _digests(report)
    code = pipeline.cli([*_cli(real_folder, tmp_path, "--sections", "all_crime")[:3], "E22000352",
                         *_cli(real_folder, tmp_path, "--sections", "all_crime")[4:]])
    _one_line_error(capsys, code, str(report), "--out")
    assert _digests(report) == before


def test_markup_in_partner_measures_and_params_text_reaches_the_pages_as_text(real_folder, tmp_path):
    """Partner returns and the params' own sentences are text too: every markdown the indicator
    sections and the document write is rendered, and no link, emphasis or element comes of the payload."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    from csp_assessment.report import document
    from csp_assessment.config import load_config
    from csp_assessment.sections import open_section

    (real_folder / "partner-returns.csv").write_text(
        "section,measure,period,value,unit,target,better,source\n"
        + "".join(f'substance_misuse,"{PAYLOAD}",{period},{value},%,50,higher,"{PAYLOAD}"\n'
                  for period, value in (("2020/21", 40), ("2021/22", 45))), encoding="utf-8")
    section = open_section("substance_misuse", year=2022, area=MEDWAY, data_dir=real_folder,
                                     period_from="2022-01", period_to="2022-03", processed_dir=tmp_path / "processed")
    assert PAYLOAD in section.targets()["Measure"].tolist()  # the payload was read as the measure's name
    shown = [section.heading(), section.narrative(), section.missing_inputs_note(), section.trend_note(),
             section.data_notes_markdown()]
    html = "".join(markdown2html_mistune(markdown.data) for markdown in shown)
    html += section.targets_table().to_html() + section.headline_table().to_html()
    config = load_config(2022, area=MEDWAY, data_dir=real_folder, period_from="2022-01", period_to="2022-03")
    from dataclasses import replace

    config = replace(config, introduction=PAYLOAD, title=PAYLOAD)
    html += markdown2html_mistune(document._cover(config, "1 December 2026", False))
    html += markdown2html_mistune(document._chapter("introduction", "Introduction") + "\n\n" + document._e(PAYLOAD))
    elements = _elements(html)
    assert _only_expected_markup(elements)
    assert "javascript" not in " ".join(str(v) for _, attributes in elements for _, v in attributes).lower()
    assert _visible_text(html).count("see details") == _visible_text(html).count(PAYLOAD) > 0


def _only_expected_markup(elements) -> bool:
    """Headings and tables use <strong> and <table> of their own: no <a>, <script>, <em>, <code> or <img>."""
    return not [e for e in elements if e[0] in ("a", "script", "em", "code", "img")]


def test_markup_in_a_narrative_file_gives_no_script_and_no_javascript_link():
    """The partnership's narrative files are Markdown by design: links to the web stay, but a
    javascript: link is disarmed and raw HTML is shown as text."""
    from csp_assessment.display import partnership_text

    html = partnership_text.render(PAYLOAD + '\n\n<a href="javascript:alert(2)">x</a> ![i](javascript:alert(3))')
    elements = _elements(html)
    assert not [e for e in elements if e[0] in ("script", "img")]
    assert "javascript" not in " ".join(str(v) for _, attributes in elements for _, v in attributes).lower()
