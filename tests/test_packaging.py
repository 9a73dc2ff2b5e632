"""The pip and conda installs must give the same packages, and notebooks must be committed clean."""

import json
import re
import tomllib

import yaml

from conftest import PROJECT_ROOT

CONDA_NAMES = {"python-duckdb": "duckdb"}  # conda-forge name -> PyPI name


def _name(spec: str) -> str:
    return re.split(r"[<>=!~ \[]", spec.strip(), maxsplit=1)[0].lower()


def test_environment_yml_and_pyproject_name_the_same_dependencies():
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    pip_specs = project["dependencies"] + project["optional-dependencies"]["test"]
    conda = yaml.safe_load((PROJECT_ROOT / "environment.yml").read_text())["dependencies"]
    conda_specs = [d for d in conda if isinstance(d, str) and _name(d) not in {"python", "pip"}]
    # packages conda-forge lacks are installed by pip inside the environment
    conda_specs += [d for entry in conda if isinstance(entry, dict) for d in entry.get("pip", [])]
    normalise = lambda spec: re.sub(r"\s", "", CONDA_NAMES.get(_name(spec), _name(spec)) + spec[len(_name(spec)):])
    assert sorted(map(normalise, conda_specs)) == sorted(map(normalise, pip_specs))


def test_notebooks_have_parameters_and_no_outputs():
    notebooks = sorted((PROJECT_ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks
    for path in notebooks:
        nb = json.loads(path.read_text())
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert any("parameters" in c.get("metadata", {}).get("tags", []) for c in code), path.name
        assert not any(c.get("outputs") or c.get("execution_count") for c in code), f"{path.name} has outputs"
        assert nb["metadata"]["kernelspec"]["name"] == "python3"


def test_every_section_has_its_notebook():
    from csp_assessment.sections import SECTIONS
    for spec in SECTIONS.values():
        assert (PROJECT_ROOT / "notebooks" / spec.notebook).exists(), spec.notebook
