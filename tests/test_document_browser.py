"""The reviewers' document in a real browser: headless Chromium (Debian's chromium package) loads it
with no script errors and every chart image decodes."""

import json
import re
import shutil
import subprocess

import pytest

from csp_assessment.config import load_config
from csp_assessment.run import Progress, main

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Recorded in the page itself, so --dump-dom carries the result out of the browser.
PROBE = """
<script>
window.__errors = [];
window.addEventListener("error", e => window.__errors.push(String(e.message || e.target && e.target.src)), true);
window.addEventListener("load", () => {
  const images = [...document.images];
  const result = {errors: window.__errors, images: images.length,
                  broken: images.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.alt),
                  without_alt: images.filter(i => !i.alt).length};
  const out = document.createElement("pre");
  out.id = "csp-probe";
  out.textContent = JSON.stringify(result);
  document.body.appendChild(out);
});
</script>
"""


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed (Debian package: chromium)")
def test_document_loads_in_chromium_with_every_chart(tmp_path, demo_dir, demo_processed):
    report = main(load_config(2017, data_dir=demo_dir, processed_dir=demo_processed,
                              out_dir=tmp_path / "reports", sections="all_crime,asb"), Progress())
    html = (report / "strategic-assessment-2017.html").read_text(encoding="utf-8")
    charts = len(re.findall(r'<img alt="Chart: ', html))
    probe_page = tmp_path / "probe.html"
    # The page forbids scripts (its Content-Security-Policy): the probe copy leaves the policy out to run its own.
    policy = re.compile(r'<meta[^>]*http-equiv="Content-Security-Policy"[^>]*>')
    assert policy.search(html)
    probe_page.write_text(policy.sub("", html).replace("<head>", "<head>" + PROBE, 1), encoding="utf-8")
    dom = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
         "--virtual-time-budget=20000", "--dump-dom", probe_page.as_uri()],
        capture_output=True, text=True, timeout=180).stdout
    found = re.search(r'<pre id="csp-probe">(.*?)</pre>', dom, re.S)
    assert found, "the page never finished loading in Chromium"
    result = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert result["errors"] == []
    # the key charts of crime and ASB (2), the risk-versus-capacity chart of the priorities (1), and the
    # SPC annex: all crime, its 13 crime types and ASB (15)
    assert result["images"] == charts == 18
    assert result["broken"] == [] and result["without_alt"] == 0
