"""Section kernels forked from a warm interpreter (kernels.py) behave as kernels started as new processes:
each notebook has its own process and state, sees the run's folder and environment, draws charts inline,
fails as clearly, and leaves no process behind."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import nbformat
import pytest

from csp_assessment import kernels
from csp_assessment.config import PROJECT_ROOT
from csp_assessment.execute import SectionFailed, execute_section
from csp_assessment.sections import SectionSpec

pytestmark = pytest.mark.skipif(not kernels.forking_supported(), reason="kernels are forked only where os.fork "
                                                                        "and pidfd exist (Linux)")

# What a notebook reports about the process it runs in.
REPORT = """\
import json, os, sys
import matplotlib
import matplotlib.pyplot as plt
plt.plot([1, 2, 3])
plt.title("a chart")
plt.show()
seen_before = hasattr(json, "csp_test_mark")
json.csp_test_mark = True  # module state this notebook leaves behind, which no other notebook may see
print(json.dumps({"pid": os.getpid(), "ppid": os.getppid(), "cwd": os.getcwd(), "path": sys.path,
                  "backend": matplotlib.get_backend(), "mark_seen": seen_before, "x": x,
                  "marker": os.environ.get("CSP_TEST_MARKER"), "argv0": sys.argv[0],
                  "csp_loaded": "csp_assessment.sections" in sys.modules}))
"""


def _notebook(folder, name: str, *cells: str):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
                                         *(nbformat.v4.new_code_cell(cell) for cell in cells)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, folder / name)
    return SectionSpec(name.removesuffix(".ipynb"), name, name, "crime")


def _report(path) -> dict:
    """The notebook's printed report, and whether its chart came out as an image."""
    cells = nbformat.read(path, as_version=4).cells
    outputs = [output for cell in cells for output in cell.get("outputs", [])]
    printed = next(o for o in outputs if o.get("name") == "stdout")["text"]
    return {**json.loads(printed), "images": [mime for o in outputs for mime in o.get("data", {})
                                              if mime.startswith("image/")]}


@pytest.fixture
def zygote():
    kernels.close()
    started = kernels.warm()
    yield started
    kernels.close()


def test_forked_kernels_run_notebooks_as_new_kernels_do(tmp_path, zygote, monkeypatch):
    spec = _notebook(tmp_path, "report.ipynb", REPORT)
    forked = [_report(execute_section(spec, tmp_path / f"forked-{n}.ipynb", {"x": n}, notebook_dir=tmp_path))
              for n in (2, 3)]
    monkeypatch.setattr(kernels, "forking_supported", lambda: False)
    kernels.close()
    new = _report(execute_section(spec, tmp_path / "new.ipynb", {"x": 4}, notebook_dir=tmp_path))

    assert new["ppid"] == os.getpid()  # a new process of this one's
    for report, x in zip(forked, (2, 3)):
        assert report["ppid"] == zygote.process.pid and report["pid"] != zygote.process.pid
        assert report["csp_loaded"]  # what the zygote imported is there already
        # the same as a kernel started as a new process: folder, path, backend, parameters, a chart
        for key in ("cwd", "path", "backend", "argv0", "images", "mark_seen"):
            assert report[key] == new[key], key
        assert report["x"] == x
    assert new["cwd"] == str(PROJECT_ROOT) and new["backend"].endswith("backend_inline")
    assert new["images"] == ["image/png"] or "image/svg+xml" in new["images"]
    # each notebook has a process of its own: nothing one leaves behind is seen by the next
    assert forked[0]["pid"] != forked[1]["pid"] and not forked[1]["mark_seen"]


def test_a_changed_environment_gets_a_zygote_of_its_own(tmp_path, zygote, monkeypatch):
    spec = _notebook(tmp_path, "report.ipynb", REPORT)
    monkeypatch.setenv("CSP_TEST_MARKER", "changed")
    report = _report(execute_section(spec, tmp_path / "out.ipynb", {"x": 1}, notebook_dir=tmp_path))
    assert report["marker"] == "changed"
    assert report["ppid"] != zygote.process.pid  # forked from a new zygote, started with this environment
    assert zygote.process.poll() is None  # the old one lives on until the run closes it (its kernels need it)
    kernels.close()
    assert zygote.process.poll() is not None


def test_a_variable_set_by_an_import_in_both_processes_is_no_change(tmp_path, monkeypatch):
    """pyogrio (under geopandas) sets GDAL_CURL_CA_BUNDLE when imported, in the zygote and, during the
    ingest, in the run's own process: the zygote is still the one to fork from."""
    pyogrio = pytest.importorskip("pyogrio")
    monkeypatch.delenv("GDAL_CURL_CA_BUNDLE", raising=False)
    kernels.close()
    zygote = kernels.warm()
    try:
        assert "GDAL_CURL_CA_BUNDLE" in zygote._ready()  # the zygote's geopandas import set it
        monkeypatch.setenv("GDAL_CURL_CA_BUNDLE", __import__("certifi").where())  # as the run's import does
        spec = _notebook(tmp_path, "report.ipynb", REPORT)
        report = _report(execute_section(spec, tmp_path / "out.ipynb", {"x": 1}, notebook_dir=tmp_path))
        assert report["ppid"] == zygote.process.pid
        assert pyogrio
    finally:
        kernels.close()


def test_a_failing_cell_and_a_dying_kernel_are_named_with_the_partial_notebook(tmp_path, zygote):
    spec = _notebook(tmp_path, "broken.ipynb", "raise ValueError('ward lookup is empty')")
    with pytest.raises(SectionFailed) as failure:
        execute_section(spec, tmp_path / "out" / "broken.ipynb", {"x": 2}, notebook_dir=tmp_path)
    assert (failure.value.cell, failure.value.error) == (3, "ValueError: ward lookup is empty")
    assert "ward lookup is empty" in failure.value.notebook.read_text()

    spec = _notebook(tmp_path, "dies.ipynb", "print('before')", "import os; os._exit(3)", "print('never')")
    with pytest.raises(SectionFailed) as failure:
        execute_section(spec, tmp_path / "out" / "dies.ipynb", {"x": 2}, notebook_dir=tmp_path)
    assert "DeadKernelError" in failure.value.error
    assert "before" in failure.value.notebook.read_text()  # the notebook as far as it ran


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # an ended process the system has not reaped yet is not running
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


def _gone_within(pids, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(_alive(pid) for pid in pids):
            return True
        time.sleep(0.2)
    return False


def test_a_killed_run_leaves_no_zygote_and_no_kernel(tmp_path):
    """A run killed outright (SIGKILL: no clean-up of its own) while a notebook runs: the zygote sees its
    socket close and ends, and the kernel sees its parent gone and ends (ipykernel's parent poller)."""
    pids = tmp_path / "pids.txt"
    spec = _notebook(tmp_path, "sleeps.ipynb", f"import os; open({str(pids)!r}, 'w').write(f'{{os.getpid()}} {{os.getppid()}}')",
                     "import time; time.sleep(120)")
    script = tmp_path / "run.py"
    script.write_text(textwrap.dedent(f"""\
        from pathlib import Path
        from csp_assessment.execute import execute_section
        from csp_assessment.sections import SectionSpec
        execute_section(SectionSpec("sleeps", "sleeps.ipynb", "Sleeps", "crime"), Path({str(tmp_path / "out.ipynb")!r}),
                        {{"x": 1}}, notebook_dir=Path({str(tmp_path)!r}))
        """))
    run = subprocess.Popen([sys.executable, str(script)], cwd=PROJECT_ROOT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not (pids.exists() and pids.read_text()) and time.monotonic() < deadline:
            time.sleep(0.1)
        kernel, zygote = map(int, pids.read_text().split())  # the kernel's first cell wrote them
        assert _alive(kernel) and _alive(zygote) and zygote != run.pid
    finally:
        os.killpg(run.pid, signal.SIGKILL)
        run.wait()
    assert _gone_within([zygote, kernel], 15), "a zygote or kernel outlived the killed run"


def test_close_ends_the_zygote(zygote):
    assert zygote.process.poll() is None
    kernels.close()
    assert zygote.process.wait(timeout=10) is not None
