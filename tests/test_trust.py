"""Trustworthy runs: killed runs leave the previous reports intact, the same inputs give the same
figures (and the same tables: test_ingest_folder), data and parameters cannot run code, and nothing
reaches the network."""

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import PROJECT_ROOT
from csp_assessment.config import load_config
from csp_assessment.run import Progress, main

pytestmark = pytest.mark.slow


def _digests(folder: Path, pattern: str) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob(pattern))}


def _start_run(data: Path, tmp_path: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "pipeline.py", "--year", "2017", "--data", str(data), "--processed",
         str(tmp_path / "processed"), "--out", str(tmp_path / "reports"), "--sections", "asb", *extra],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)


def _kill_when(process: subprocess.Popen, ready, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert process.poll() is None, "the run ended before the moment to kill it"
        assert time.monotonic() < deadline, "the moment to kill the run never came"
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)  # the run and its notebook kernel, as a power cut would
    process.wait()


def _new_commentary(data: Path, text: str) -> None:
    """The analyst edits the section's commentary: the next run executes the section again."""
    commentary = data / "narrative" / "asb.md"
    commentary.unlink()  # a link to the session's demo file: replaced, not written through
    commentary.write_text(text, encoding="utf-8")


def test_a_killed_run_leaves_the_previous_report_and_the_next_run_completes(demo_variant, tmp_path):
    data, processed = demo_variant()
    first = _start_run(data, tmp_path)
    assert first.wait(timeout=600) == 0, first.stdout.read()
    report = tmp_path / "reports" / "2017"
    before, figures = _digests(report, "*.*"), _digests(report / "findings", "*.json")
    staging = tmp_path / "reports" / ".2017-running"

    # killed while the notebook runs, then while the section is being exported
    for n, moment in enumerate((lambda: (staging / "notebooks" / "02_asb.ipynb").exists(),
                                lambda: (staging / "02_asb-analyst.html").exists())):
        _new_commentary(data, f"ASB commentary, edit {n}.\n")
        _kill_when(_start_run(data, tmp_path), moment)
        assert _digests(report, "*.*") == before  # the previous report, byte for byte
        assert "Anti-social behaviour" in (report / "index.html").read_text()

    # killed while the ingest writes the processed tables (--force makes it read them again, into its staging folder)
    tables = _digests(processed, "*.parquet")
    _kill_when(_start_run(data, tmp_path, "--force"), lambda: any(processed.rglob(".*.tmp")), timeout=120)
    assert _digests(processed, "*.parquet") == tables  # every table whole: the old one, readable
    assert _digests(report, "*.*") == before

    last = _start_run(data, tmp_path)
    assert last.wait(timeout=600) == 0, last.stdout.read()
    assert not staging.exists() and (report / "02_asb.pdf").exists()
    assert "edit 1" in (report / "02_asb.html").read_text()
    assert _digests(report / "findings", "*.json") == figures  # the same tables give byte-identical figures


def test_parameters_and_data_strings_are_passed_as_text(demo_variant, tmp_path):
    # A data folder whose name holds quotes, a newline and Python code, and a ward name holding HTML.
    odd, processed = demo_variant(folder=tmp_path / "it's \"odd\"\nimport os; os._exit(3) #")
    lookup = odd / "ons" / "lsoa11-ward17-lad17-lookup.csv"
    text = lookup.read_text()
    lookup.unlink()
    lookup.write_text(text.replace(",River,", ',"River <b>&</b> Quay"");print(1)",'))
    report = main(load_config(2017, data_dir=odd, processed_dir=processed, out_dir=tmp_path / "out",
                              sections="asb"), Progress())
    html = (report / "02_asb.html").read_text()
    assert 'River &lt;b&gt;&amp;&lt;/b&gt; Quay");print(1)' in html  # in the hotspot sentence
    assert 'River &lt;b&gt;&amp;&lt;/b&gt; Quay");print(1)</td>' in html  # in the hotspot table
    assert "<b>&</b>" not in html


def test_a_run_makes_no_network_connection(demo_dir, tmp_path, monkeypatch):
    """Ingest, the section figures and charts, and PDF printing, in this process, with any
    connection beyond this machine made to fail loudly."""
    attempts = []
    real_connect = socket.socket.connect

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if self.family in (socket.AF_INET, socket.AF_INET6) and host not in ("127.0.0.1", "::1", "localhost"):
            attempts.append(address)
            raise OSError(f"network connection attempted to {address}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    from csp_assessment.report.export import html_to_pdf
    from csp_assessment.sections import open_section

    section = open_section("all_crime", data_dir=demo_dir, processed_dir=tmp_path / "processed")
    section.headline(), section.trend_chart(), section.spc_chart(), section.peer_table().to_html()
    page = tmp_path / "page.html"
    page.write_text('<html><body><p>Text</p><img src="https://example.org/logo.png"></body></html>')
    html_to_pdf(page, tmp_path / "page.pdf")
    assert attempts == [] and (tmp_path / "page.pdf").read_bytes().startswith(b"%PDF")
