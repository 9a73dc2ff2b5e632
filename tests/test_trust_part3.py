"""Trustworthy runs, part three (issue 25, items 6-10): params checked by their schema, a run's
inputs fixed while it runs, atomic first runs and report folders, only web and mail links and only
files from inside the data folder, and one line for the user (no traceback, no hang).

Each case of the issue is reproduced on copies in temporary folders (the demo through conftest's
demo_variant, the real Kent files through real_folder) and gives either the right result or one
line naming the file, key or flag, with exit 2."""

from __future__ import annotations

import errno
import functools
import hashlib
import http.server
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import nbformat
import pytest

import pipeline
from conftest import PROJECT_ROOT
from csp_assessment import run, store
from csp_assessment.config import load_config
from csp_assessment.sections import check_config, section_titles
from csp_assessment.errors import ConfigError, InputError
from test_trust import _kill_when
from test_trust_runs import _hold_lock, _one_line_error

DEFAULTS = (PROJECT_ROOT / "params" / "defaults.yaml").read_text(encoding="utf-8")
YEAR_2022 = (PROJECT_ROOT / "params" / "2022.yaml").read_text(encoding="utf-8")


def _no_traceback(*outputs: str) -> None:
    for text in outputs:
        assert "Traceback" not in text and "Compute Failed" not in text, text


# ---------------------------------------------------------------- 6. params by schema


def _params(tmp_path: Path, year_text: str = "", defaults: str = DEFAULTS) -> Path:
    """A params folder: the project's defaults (or ``defaults``) and 2022.yaml with ``year_text`` added."""
    folder = tmp_path / "params"
    folder.mkdir(exist_ok=True)
    (folder / "defaults.yaml").write_text(defaults, encoding="utf-8")
    (folder / "2022.yaml").write_text(YEAR_2022 + "\n" + year_text, encoding="utf-8")
    return folder


@pytest.mark.parametrize("year_text, fragments", [
    ("suppresion_threshold: 10\n", ["2022.yaml", "unknown key 'suppresion_threshold'",
                                    "did you mean suppression_threshold?"]),
    ("peers: E07000110\n", ["2022.yaml", "peers", "give a list", "'E07000110'"]),
    ('spc:\n  screen_outliers: "false"\n', ["2022.yaml", "spc.screen_outliers", "true or false", "'false'"]),
    ("top_wards: five\n", ["top_wards", "whole number", "'five'"]),
    ("trend_periods: 0\n", ["trend_periods", "out of range", "at least 2"]),
    ("spc:\n  targets:\n    All crime: lots\n", ["spc.targets.All crime", "give a number", "'lots'"]),
    ("spc:\n  targets:\n    All crime: .nan\n", ["spc.targets.All crime", "finite"]),
    ("spc:\n  rebase: [April 2014]\n", ["spc.rebase", "'April 2014' is not a month", "YYYY-MM"]),
    ("spc:\n  fix_after: 1\n", ["spc.fix_after", "at least 2"]),
    ("police_outcomes:\n  drug_charge_target_pct: more\n", ["drug_charge_target_pct", "a number or 'increase'"]),
    ("police_outcomes:\n  drug_charge_target_pct: 175.5\n", ["drug_charge_target_pct", "at most 100"]),
    ("unplaced_records:\n  warn_pct: '1'\n", ["unplaced_records.warn_pct", "give a number"]),
    ("area:\n  codez: [E06000035]\n", ["unknown key 'area.codez'", "did you mean codes?"]),
    ("peers: [E07000110, Maidstone]\n", ["peers", "'Maidstone' is not an ONS local authority code"]),
    ("narrative_dir: [a, b]\n", ["narrative_dir"]),
    ("year: 2021\n", ["2022.yaml", "year: 2021"]),
])
def test_a_params_value_of_the_wrong_kind_is_refused_naming_file_and_key(year_text, fragments, tmp_path, capsys,
                                                                       monkeypatch):
    params = _params(tmp_path, year_text)
    with pytest.raises(ConfigError) as refused:
        load_config(2022, params_dir=params)
    for fragment in fragments:
        assert fragment in str(refused.value), str(refused.value)
    # the command line: one line naming file and key, exit 2 (not exit 3, "a fault in the pipeline")
    monkeypatch.setattr(pipeline, "load_config", functools.partial(load_config, params_dir=params))
    code = pipeline.cli(["--year", "2022", "--area", "E06000035", "--data", str(tmp_path / "nowhere"),
                         "--out", str(tmp_path / "reports"), "--processed", str(tmp_path / "processed")])
    _one_line_error(capsys, code, *fragments)
    assert not (tmp_path / "processed").exists()  # refused before anything ran


def test_a_misspelt_key_in_a_block_checked_where_it_is_known_is_refused(tmp_path):
    params = _params(tmp_path, defaults=DEFAULTS.replace("  harm_weights:", "  harm_wieghts:"))
    # the priorities blocks are checked by the scoring (stats/priorities.py), through sections.check_config
    with pytest.raises(ConfigError, match="unknown key 'harm_wieghts'; did you mean harm_weights"):
        check_config(load_config(2022, params_dir=params))
    params = _params(tmp_path, "previous_priorities:\n  - priority: Safety\n    measure:\n"
                               "      - crime_type: Burglary\n")
    with pytest.raises(ConfigError, match="unknown key 'measure'; did you mean measures"):
        check_config(load_config(2022, params_dir=params))


def test_lists_booleans_and_codes_as_written_are_read_as_such(tmp_path):
    params = _params(tmp_path, "peers: [e07000110]\nspc:\n  screen_outliers: false\n  targets: {All crime: 1900}\n"
                               "police_outcomes:\n  drug_charge_target_pct: 40\n")
    config = load_config(2022, params_dir=params)
    assert config.peers == ("E07000110",) and config.spc_screen_outliers is False
    assert config.spc_targets == {"All crime": 1900.0} and config.drug_charge_target_pct == 40.0


def test_the_schema_and_defaults_yaml_say_the_same():
    """defaults.yaml's values are the schema's defaults, and every key it sets is one the schema describes."""
    import yaml

    from csp_assessment.params_schema import Params

    defaults = yaml.safe_load(DEFAULTS)
    schema = Params()
    for key, value in defaults.items():
        field = Params.model_fields[key]
        assert field.description, key
        if key in ("sections", "priorities", "previous_priorities", "partnership_members"):
            continue  # known to the section modules and the scoring (checked there); wording for the document
        default = getattr(schema, key)
        assert (default.model_dump(by_alias=True) if hasattr(default, "model_dump") else default) == value, key


def test_a_yaml_alias_bomb_an_oversized_or_deeply_nested_file_is_refused_at_once(tmp_path):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(9))
    for year_text, message in ((bomb, "aliases"), ("title: " + "x" * 1_100_000 + "\n", "bytes"),
                               ("deep: " + "[" * 200 + "]" * 200 + "\n", "nested")):
        started = time.monotonic()
        with pytest.raises(ConfigError, match=message) as refused:
            load_config(2022, params_dir=_params(tmp_path, year_text))
        assert time.monotonic() - started < 5 and "2022.yaml" in str(refused.value)


@pytest.mark.parametrize("flags, fragments", [
    (["--wait", "nan"], ["argument --wait", "'nan'"]),
    (["--wait", "-1"], ["argument --wait", "0 or more"]),
    (["--wait", "inf"], ["argument --wait"]),
    (["--workers", "x"], ["argument --workers", "'x'"]),
    (["--workers", "0"], ["argument --workers", "from 1"]),
    (["--workers", "100000"], ["argument --workers", "100000"]),
    (["--scheduler", "garbage"], ["argument --scheduler", "tcp://HOST:PORT"]),
    (["--scheduler", "http://example.org:80"], ["argument --scheduler", "tcp://HOST:PORT"]),
    (["--scheduler", "tcp://host:99999"], ["argument --scheduler"]),
    (["--year", "twenty"], ["--year twenty", "not a year"]),
    (["--from", "2022-13"], ["'2022-13' is not a month"]),
    (["--sections", "weather"], ["--sections", "weather"]),
    (["--no-such-flag"], ["--no-such-flag", "--help"]),
])
def test_every_command_line_value_is_checked_in_one_line(flags, fragments, tmp_path, capsys):
    base = ["--year", "2022", "--area", "E06000035", "--data", str(tmp_path / "nowhere"), "--out",
            str(tmp_path / "reports"), "--processed", str(tmp_path / "processed")]
    for flag in flags[:1]:
        if flag in base:  # the case replaces the base's value
            i = base.index(flag)
            del base[i:i + 2]
    _one_line_error(capsys, pipeline.cli(base + flags), *fragments)
    assert not (tmp_path / "processed").exists()


def test_fetch_flags_are_checked_in_one_line_too(tmp_path, capsys):
    _one_line_error(capsys, pipeline.cli(["fetch", "--year", "2022", "--police-via", "pigeon"]), "--police-via")


# ---------------------------------------------------------------- 10. schedulers and loopback: one line, at once


@pytest.fixture
def web_server():
    """A web server on 127.0.0.1 that accepts connections and answers only HTTP (as a --scheduler mistake)."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"tcp://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_scheduler_that_is_a_web_server_or_a_closed_port_is_refused_within_ten_seconds(web_server):
    from csp_assessment.engine import Engine

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"tcp://127.0.0.1:{probe.getsockname()[1]}"
    for address in (web_server, closed):
        started = time.monotonic()
        with pytest.raises(ConfigError, match="--scheduler") as refused:
            Engine(address).client
        assert time.monotonic() - started < 10, address
        assert "\n" not in str(refused.value) and address in str(refused.value)


def test_a_run_sent_to_a_web_server_stops_in_one_line(web_server, demo_variant, tmp_path, capfd):
    data, processed = demo_variant()
    started = time.monotonic()
    code = pipeline.cli(["--year", "2017", "--data", str(data), "--processed", str(processed), "--out",
                         str(tmp_path / "reports"), "--sections", "asb", "--scheduler", web_server])
    out, err = capfd.readouterr()
    assert code == 2 and time.monotonic() - started < 60
    assert err.startswith("error: --scheduler") and len(err.strip().splitlines()) == 1, err
    _no_traceback(out, err)
    assert not (tmp_path / "reports" / ".2017-running").exists()


def test_a_loopback_that_binds_but_does_not_connect_is_said_at_once(monkeypatch):
    """With the loopback interface down, a port on 127.0.0.1 still opens, but nothing connects to it:
    the run used to wait 65 s for its Dask cluster, then call it a fault in the pipeline (exit 3)."""
    from csp_assessment import engine

    def unreachable(address, *args, **kwargs):
        raise OSError(errno.ENETUNREACH, os.strerror(errno.ENETUNREACH))

    monkeypatch.setattr(socket, "create_connection", unreachable)
    with pytest.raises(ConfigError, match="127.0.0.1.*loopback"):
        engine.check_loopback()
    with pytest.raises(ConfigError, match="loopback"):
        engine.Engine(workers=1, processes=False).client


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare (util-linux) for a network namespace")
def test_a_run_with_no_loopback_network_is_one_line_within_ten_seconds(demo_variant, tmp_path):
    """In a network namespace of its own, the loopback interface is down, as in some sandboxes."""
    if subprocess.run(["unshare", "-rn", "true"], capture_output=True).returncode != 0:
        pytest.skip("this machine does not allow user network namespaces")
    data, processed = demo_variant()
    started = time.monotonic()
    done = subprocess.run(["unshare", "-rn", sys.executable, "pipeline.py", "--year", "2017", "--data", str(data),
                           "--processed", str(processed), "--out", str(tmp_path / "reports"), "--sections", "asb"],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: the notebooks cannot run") and "loopback" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    _no_traceback(done.stdout, done.stderr)
    assert time.monotonic() - started < 60  # imports and the ingest included; the loopback check itself is instant
    assert not (tmp_path / "reports" / ".2017-running").exists()


# ---------------------------------------------------------------- 10. a failing section: one line, trace in the run log


def _broken_notebooks(tmp_path: Path, key_notebook: str = "02_asb.ipynb") -> Path:
    notebooks = shutil.copytree(run.NOTEBOOK_DIR, tmp_path / "notebooks")
    broken = nbformat.read(notebooks / key_notebook, as_version=4)
    broken.cells.insert(3, nbformat.v4.new_code_cell("raise ValueError('a ward with no name')"))
    nbformat.write(broken, notebooks / key_notebook)
    return notebooks


def test_a_failing_section_is_one_line_and_its_traceback_goes_to_the_run_log(demo_variant, tmp_path, monkeypatch,
                                                                          capfd):
    data, processed = demo_variant()
    notebooks = _broken_notebooks(tmp_path)
    real = run.execute_section
    monkeypatch.setattr(run, "NOTEBOOK_DIR", notebooks)
    monkeypatch.setattr(run, "execute_section", lambda spec, output, parameters: real(
        spec, output, parameters, notebook_dir=notebooks))
    code = pipeline.cli(["--year", "2017", "--data", str(data), "--processed", str(processed), "--out",
                         str(tmp_path / "reports"), "--sections", "asb"])
    out, err = capfd.readouterr()
    assert code == 1
    assert err.startswith("error: section 'asb' failed in cell 5: ValueError: a ward with no name") \
        and len(err.strip().splitlines()) == 1, err
    _no_traceback(out, err)
    log = (tmp_path / "reports" / "2017-failed" / "run.log").read_text(encoding="utf-8")
    assert "traceback of asb" in log and "raise ValueError('a ward with no name')" in log


# ---------------------------------------------------------------- 10. Ctrl-C


def test_ctrl_c_during_a_run_stops_it_in_one_line_leaving_nothing_behind(demo_variant, tmp_path):
    data, processed = demo_variant()
    staging = tmp_path / "reports" / ".2017-running"
    process = subprocess.Popen(
        [sys.executable, "pipeline.py", "--year", "2017", "--data", str(data), "--processed", str(processed),
         "--out", str(tmp_path / "reports"), "--sections", "asb"],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 300
    while not (staging / "notebooks").exists():
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.05)
    time.sleep(1)  # the notebook's kernel is running
    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C in a terminal reaches the whole process group
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert err.strip().splitlines() == ["stopped: the previous reports and tables are as they were"], err
    _no_traceback(out, err)
    assert not staging.exists() and not (tmp_path / "reports" / "2017").exists()


@pytest.mark.slow  # a whole fetch through the command line, in a process of its own
def test_ctrl_c_stops_fetch_at_once_on_a_slow_server_and_leaves_the_folder_unchanged(tmp_path):
    """It used to ignore the first Ctrl-C (waiting for the download under way) and print two tracebacks
    on the second."""
    from fetch_server import PublisherServer
    from test_fetch import AREA, FROM, TO, YEAR, _publish, _sources

    with PublisherServer() as server:
        _publish(server, _sources(page_size=2000))
        server.stall_seconds = 120  # the archive's server says nothing for two minutes
        for key, route in server.routes.items():
            if key.endswith(".zip"):
                route.stall_first = 10
        data = tmp_path / "raw"
        env = {**os.environ, "CSP_FETCH_MIRROR": server.url, "CSP_FETCH_CACHE": str(tmp_path / "cache")}
        process = subprocess.Popen(
            [sys.executable, "pipeline.py", "fetch", "--year", str(YEAR), "--area", AREA, "--from", FROM, "--to", TO,
             "--data", str(data), "--no-progress", "--only", "lookups,police_uk", "--police-via", "archive"],
            cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            start_new_session=True)
        try:
            deadline = time.monotonic() + 120
            while not any(path.endswith(".zip") for _, path, *_ in server.requests):
                assert process.poll() is None and time.monotonic() < deadline, process.communicate()
                time.sleep(0.05)
            time.sleep(0.5)
            stopped = time.monotonic()
            os.killpg(process.pid, signal.SIGINT)
            out, err = process.communicate(timeout=30)
            assert time.monotonic() - stopped < 5
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    assert process.returncode == 130, err
    assert err.strip().splitlines()[-1].startswith("stopped: nothing was changed in the data folder"), err
    _no_traceback(out, err)
    assert not data.exists()


# ---------------------------------------------------------------- 7. a run's inputs are fixed while it runs


def _replace_street_file(data: Path, month: str) -> Path:
    """The month's street file replaced (a new file, not written through the link) by one without its
    anti-social behaviour rows, as a corrected download dropped in while a run goes on would be."""
    street = next(data.rglob(f"{month}-kent-street.csv"))
    lines = street.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if ",Anti-social behaviour," not in line]
    assert len(kept) < len(lines)
    street.unlink()
    street.write_text("".join(kept), encoding="utf-8")
    return street


# The demo reproduces the Medway Strategic Assessment 2017: 7,077 ASB incidents in Apr 16 - Mar 17
# (csp_assessment/demo/__init__.py, from the published document).
MEDWAY_ASB_2016_17 = 7077


def test_a_file_replaced_while_a_run_goes_on_changes_none_of_its_figures(demo_variant, tmp_path, monkeypatch):
    """The notebooks read the tables the run ingested: a file replaced after the ingest gives the run
    neither a second set of figures nor a manifest hash that fits neither file. The run also writes into
    a year folder that is a symbolic link (kept as a link), over a staging folder a killed run left."""
    data, processed = demo_variant()
    street = next(data.rglob("2017-01-kent-street.csv"))
    original_hash = hashlib.sha256(street.read_bytes()).hexdigest()
    elsewhere = tmp_path / "shared" / "csp-2017"
    elsewhere.mkdir(parents=True)
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "2017").symlink_to(elsewhere)
    (tmp_path / "shared" / ".csp-2017-running" / "notebooks").mkdir(parents=True)  # left by a killed run
    fingerprint = store.read_manifest(processed)["fingerprint"]

    real = run.execute_section

    def replaced_first(spec, output, parameters):
        _replace_street_file(data, "2017-01")  # after the run's ingest, before its notebook opens the section
        return real(spec, output, parameters)

    monkeypatch.setattr(run, "execute_section", replaced_first)
    config = load_config(2017, data_dir=data, processed_dir=processed, out_dir=tmp_path / "reports",
                         sections="asb")
    progress = run.Progress(io.StringIO())
    report = run.main(config, progress)
    assert store.read_manifest(processed)["fingerprint"] == fingerprint  # nothing ingested inside the run
    findings = json.loads((elsewhere / "findings" / "asb.json").read_text())
    assert findings["count"] == MEDWAY_ASB_2016_17  # the file the run ingested, not its replacement
    manifest = json.loads((elsewhere / "manifest.json").read_text())
    entry = next(e for e in manifest["inputs"] if e["file"].endswith("2017-01-kent-street.csv"))
    assert entry["sha256"] == original_hash  # the file as the run read it
    # the year folder: still the link, the report beside its target, the killed run's staging cleared
    assert (tmp_path / "reports" / "2017").is_symlink() and report == elsewhere.resolve()
    assert not (tmp_path / "shared" / ".csp-2017-running").exists()

    # Rerun with --force: swapped in beside the link's target again; no .previous link left behind
    # (it used to make every later run fail: "Cannot call rmtree on a symbolic link").
    monkeypatch.setattr(run, "execute_section", real)
    run.main(config, run.Progress(io.StringIO()), force=True)
    assert (tmp_path / "reports" / "2017").is_symlink() and (elsewhere / "index.html").exists()
    assert sorted(p.name for p in (tmp_path / "reports").iterdir() if not p.name.startswith(".csp-run")) == ["2017"]
    assert sorted(p.name for p in (tmp_path / "shared").iterdir()) == ["csp-2017"]
    # the replaced file is read now, by the run's own ingest: fewer ASB incidents, said in the findings
    assert json.loads((elsewhere / "findings" / "asb.json").read_text())["count"] < MEDWAY_ASB_2016_17


def test_a_notebook_in_a_run_reads_the_runs_tables_and_refuses_others(demo_variant, tmp_path):
    from csp_assessment.sections import open_section

    data, processed = demo_variant()
    fingerprint = store.read_manifest(processed)["fingerprint"]
    options = dict(data_dir=data, processed_dir=processed)
    before = open_section("asb", run_tables=fingerprint, **options).headline()
    _replace_street_file(data, "2017-01")
    tables = {p.name: p.stat().st_mtime_ns for p in processed.glob("*.parquet")}
    assert open_section("asb", run_tables=fingerprint, **options).headline() == before  # not ingested again
    assert {p.name: p.stat().st_mtime_ns for p in processed.glob("*.parquet")} == tables
    with pytest.raises(InputError, match="not the ones this run ingested"):
        open_section("asb", run_tables="0" * 64, **options)


def test_a_notebook_outside_a_run_waits_for_the_run_before_it_ingests(demo_variant, tmp_path, capsys):
    from csp_assessment.sections import open_section

    data, processed = demo_variant()
    _replace_street_file(data, "2017-01")  # the notebook would ingest it: not under a running run
    holder = _hold_lock(processed)
    opened: list = []
    thread = threading.Thread(target=lambda: opened.append(open_section("asb", data_dir=data,
                                                                        processed_dir=processed)), daemon=True)
    try:
        manifest = (processed / store.MANIFEST).read_bytes()
        thread.start()
        time.sleep(3)
        assert not opened and (processed / store.MANIFEST).read_bytes() == manifest  # waiting, nothing ingested
        assert "is in use by the run started" in capsys.readouterr().out
    finally:
        holder.kill()
        holder.wait()
    thread.join(timeout=300)
    assert opened and store.read_manifest(processed)["fingerprint"] != json.loads(manifest)["fingerprint"]


# ---------------------------------------------------------------- 8. atomic first run and report folders

_MAKE_DEMO = textwrap.dedent("""
    import sys
    from pathlib import Path
    from csp_assessment.inputs import demo_in_place
    demo_in_place(Path(sys.argv[1]), lambda message: print(message, flush=True))
    print("made", flush=True)
""")


def test_a_first_run_killed_while_making_the_demo_leaves_none_and_two_first_runs_make_it_once(demo_files,
                                                                                              tmp_path):
    """The demo is made whole beside the data folder and moved into place: a kill leaves no demo (the
    next run makes it), never one with its marker and files missing; two first runs at once make it
    once, the second waiting (it used to fail with 'no ONS LSOA -> ward lookup found')."""
    from csp_assessment.demo import DEMO_MARKER
    from csp_assessment.ingest import police_uk

    session_demo, written = demo_files
    raw = tmp_path / "data" / "raw"
    script = tmp_path / "make_demo.py"
    script.write_text(_MAKE_DEMO)

    def start() -> subprocess.Popen:
        return subprocess.Popen([sys.executable, str(script), str(raw)], cwd=PROJECT_ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True,
                                env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})

    making = tmp_path / "data"
    _kill_when(start(), lambda: len(list(making.glob(".demo-making-*/police-uk/*"))) >= 6, timeout=300)
    assert not (raw / "demo").exists() and not police_uk.discover(raw)  # no demo rather than part of one

    first, second = start(), start()
    outputs = [p.communicate(timeout=600) for p in (first, second)]
    assert first.returncode == second.returncode == 0, outputs
    for out, err in outputs:
        _no_traceback(out, err)
    assert sum("waiting  another run is making the demo data" in out for out, _ in outputs) == 1
    assert sorted(p.relative_to(raw / "demo") for p in (raw / "demo").rglob("*") if p.is_file()) == \
        sorted(p.relative_to(session_demo) for p in written)
    assert (raw / "demo" / DEMO_MARKER).exists()
    assert not list(making.glob(".demo-*"))  # the killed run's unfinished folder was cleared


def test_a_symlinked_year_folder_is_followed_and_left_as_a_link(tmp_path):
    reports = tmp_path / "reports"
    target = tmp_path / "elsewhere" / "2022"
    target.mkdir(parents=True)
    reports.mkdir()
    (reports / "2022").symlink_to(target)
    assert run._report_folder(reports / "2022") == target.resolve()
    (reports / "2023").symlink_to(tmp_path / "gone")
    with pytest.raises(ConfigError, match="symbolic link to .*gone, which does not exist"):
        run._report_folder(reports / "2023")


def test_a_previous_report_left_as_a_symlink_by_an_earlier_run_is_cleared_not_followed(tmp_path):
    """What an earlier version left: .2022-previous a symbolic link (the next runs failed with 'Cannot
    call rmtree on a symbolic link'); and a staging folder of a killed run."""
    reports = tmp_path / "reports"
    target = tmp_path / "elsewhere" / "2022"
    target.mkdir(parents=True)
    (target / "index.html").write_text("the report")
    reports.mkdir()
    final = reports / "2022"
    final.mkdir()
    (reports / ".2022-previous").symlink_to(target)
    (reports / ".2022-running" / "notebooks").mkdir(parents=True)
    run._restore_interrupted_swap(final, lambda message: None)
    assert not (reports / ".2022-previous").is_symlink() and not (reports / ".2022-running").exists()
    assert (target / "index.html").read_text() == "the report"  # what the link pointed to is untouched
    # no report in place: the link is put back as the report, as the previous folder would be
    shutil.rmtree(final)
    (reports / ".2022-previous").symlink_to(target)
    said: list[str] = []
    run._restore_interrupted_swap(final, said.append)
    assert final.is_symlink() and (final / "index.html").exists() and said


# ---------------------------------------------------------------- 9. only web and mail links, only files inside


def test_only_web_and_mail_links_stay_links():
    from csp_assessment.display import partnership_text

    html = partnership_text.render(
        "[a](//evil.example/x) [b](ftp://evil.example/y) [c](../../../../etc/passwd) [d](file://evil.example/x) "
        "[e](FILE:///etc/passwd) [f](https:no-host) [g](#top) <ftp://evil.example/z> "
        "[web](https://example.org/a?b=1&c=2) [mail](mailto:csp@example.org) [plain](http://example.org)")
    from test_trust_runs import _elements

    links = [dict(attributes).get("href") for tag, attributes in _elements(html) if tag == "a"]
    assert links == ["https://example.org/a?b=1&c=2", "mailto:csp@example.org", "http://example.org"]
    for text in "abcdefg":
        assert f"{text} " in html or f"{text}<" in html  # the link's text is shown


def _narrative_data(demo_variant) -> tuple[Path, Path]:
    """The demo's data folder (its narrative files copied, not linked: conftest.linked_copy) and narrative folder."""
    data, _ = demo_variant()
    return data, data / "narrative"


def test_a_narrative_file_linking_outside_the_data_folder_is_refused(demo_variant, tmp_path):
    from csp_assessment.display import partnership_text

    data, narrative = _narrative_data(demo_variant)
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n")
    (narrative / "asb.md").unlink()
    (narrative / "asb.md").symlink_to(secret)  # as a link to /etc/passwd would be
    config = load_config(2017, data_dir=data, processed_dir=tmp_path / "processed", sections="asb")
    with pytest.raises(InputError) as refused:
        partnership_text.for_run(config, demo=True, titles=section_titles())
    assert str(refused.value).startswith(str(narrative / "asb.md")) and "outside" in str(refused.value)
    assert "root:x" not in str(refused.value)


def test_an_oversized_narrative_file_is_refused_with_its_size(demo_variant, tmp_path):
    from csp_assessment.display import partnership_text

    data, narrative = _narrative_data(demo_variant)
    (narrative / "introduction.md").write_text("Words. " * 750_000, encoding="utf-8")  # 5 MB
    config = load_config(2017, data_dir=data, processed_dir=tmp_path / "processed", sections="asb")
    with pytest.raises(InputError, match=r"introduction.md: 5,250,000 bytes; a partnership text is at most 200 KB"):
        partnership_text.for_run(config, demo=True, titles=section_titles())


def test_a_partner_return_linking_outside_the_data_folder_is_refused(real_folder, tmp_path):
    from csp_assessment.ingest.folder import ingest_folder

    outside = tmp_path / "outside" / "partner-returns.csv"
    outside.parent.mkdir()
    outside.write_text("section,measure,period,value,unit,target,better,source\n"
                       "substance_misuse,Needle finds,2021/22,10,count,,lower,Council\n", encoding="utf-8")
    (real_folder / "partner-returns.csv").symlink_to(outside)
    with pytest.raises(InputError) as refused:
        ingest_folder(real_folder, tmp_path / "processed")
    assert refused.value.path == str(real_folder / "partner-returns.csv") and "outside the data folder" in str(
        refused.value)
