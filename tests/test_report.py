"""``fleetsim report``: one self-contained HTML page with every chart, the assumptions and the
tables; it parses as HTML, references nothing outside itself, is written atomically, and a real
headless browser loads it with no console error and shows every chart."""

import base64
import contextlib
import io
import os
import re
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

from fleetsim.cli.main import main
from fleetsim.faces import plots

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "scenarios" / "colossus.yaml"
PNG = b"\x89PNG\r\n\x1a\n"
CHROMIUM = Path("/usr/bin/chromium")


class Page(HTMLParser):
    """The parts of a page the tests look at: tags in order, attributes, text, heading texts."""

    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.headings: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.append((tag, dict(attrs)))
        if tag not in ("img", "meta", "br", "link", "input"):
            self.open.append(tag)

    def handle_endtag(self, tag):
        assert self.open and self.open[-1] == tag, f"</{tag}> closes <{self.open[-1] if self.open else None}>"
        self.open.pop()

    def handle_data(self, data):
        self.text.append(data)
        if self.open and self.open[-1] in ("h1", "h2", "h3"):
            self.headings.append(data.strip())

    def of(self, tag: str) -> list[dict[str, str]]:
        return [a for t, a in self.attrs if t == tag]


@pytest.fixture(scope="module")
def report_file(once) -> Path:
    """The flagship's report, written once for the whole run (every xdist worker reads the same file)."""

    def write(folder: Path) -> None:
        assert main(["report", str(FLAGSHIP), "-o", str(folder / "colossus.html"), "--quiet"]) == 0

    return once("report-colossus", write) / "colossus.html"


@pytest.fixture(scope="module")
def page(report_file) -> Page:
    parsed = Page()
    parsed.feed(report_file.read_text(encoding="utf-8"))
    parsed.close()
    assert parsed.open == [], f"unclosed tags: {parsed.open}"
    return parsed


def test_report_is_one_well_formed_page(page):
    assert page.tags[0] == "html" and page.tags.count("html") == page.tags.count("body") == 1
    assert "colossus" in page.headings and {"Summary", "Charts", "Assumptions", "Tables"} <= set(page.headings)


def test_report_embeds_every_chart_as_png(page):
    images = page.of("img")
    assert len(images) == len(plots.CHARTS)
    for image in images:
        assert image["src"].startswith("data:image/png;base64,") and image["alt"]
        assert base64.b64decode(image["src"].split(",", 1)[1]).startswith(PNG)
    figures = [a["id"] for a in page.of("figure")]
    assert figures == [f"chart-{name}" for name in plots.CHARTS]


def test_report_needs_nothing_outside_itself(page, report_file):
    assert "script" not in page.tags and "link" not in page.tags and "iframe" not in page.tags
    for tag, attrs in page.attrs:
        for name in ("src", "href"):
            value = attrs.get(name)
            assert value is None or value.startswith(("#", "data:")), (tag, name, value[:80])
    policy = [a for a in page.of("meta") if a.get("http-equiv") == "Content-Security-Policy"]
    assert policy and "default-src 'none'" in policy[0]["content"]
    assert not re.search(r"url\(|@import|https?://", report_file.read_text().split("<body>")[0])


def test_report_has_the_assumptions_with_sources(page):
    text = " ".join(page.text)
    assert {"Sites", "Orders", "Hardware (values after the scenario's overrides)", "Operations", "Finance",
            "Revenue", "Training runs"} <= set(page.headings)
    for hardware in ("H100", "H200", "GB200"):
        assert f" {hardware} " in f" {text} "
    assert "NVIDIA H100 Tensor Core GPU datasheet" in text and "2023-05" in text
    assert "Shelby County" in text, "notes from the scenario file"


def test_report_has_the_summary_and_tables(page):
    text = " ".join(page.text)
    assert "Peak facility power (full load)" in text and "Operating cost per H100e-hour" in text
    assert "Power by site" in page.headings and "chart-sites" in [a["id"] for a in page.of("figure")]
    assert "colossus-2: short of power from 2025-11; peak 207,339 waiting in 2025-12; cause: power (100%)" in text
    assert "colossus-1: short of power from 2024-11; peak 22,960 waiting in 2024-11; cause: power (100%)" in text
    assert "By year" in page.headings and page.tags.count("details") == 1
    assert "Monthly table (60 months)" in text
    monthly = page.text[page.text.index("Monthly table (60 months)"):]
    months = [t.strip() for t in monthly if re.fullmatch(r"\s*20\d\d-\d\d\s*", t)]
    assert months[:1] == ["2024-07"] and months[-1] == "2029-06" and len(set(months)) == 60
    assert "grok-5" in text


def test_report_default_path_and_message(tmp_path, monkeypatch, capsys, stand_in_charts):
    monkeypatch.chdir(tmp_path)
    assert main(["report", str(FLAGSHIP), "--set", "sites.colossus-1.pue=1.3"]) == 0
    out = capsys.readouterr().out
    assert "wrote out/colossus.html" in out and "7 charts" in out
    assert "sites.colossus-1.pue=1.3" in (tmp_path / "out" / "colossus.html").read_text()


def test_invalid_input_writes_nothing(tmp_path, capsys):
    target = tmp_path / "r.html"
    target.write_text("previous report")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nstart: 2024-07\nmonths: 12\nsites: {s: {pue: 1.2, capacity: 150 kg, "
                   "electricity: {price: 0.08 USD/kWh}}}\n")
    assert main(["report", str(bad), "-o", str(target)]) == 1
    assert "capacity" in capsys.readouterr().err
    assert main(["report", str(FLAGSHIP), "-o", str(target), "--set", "sites.nowhere.pue=1.3"]) == 1
    assert target.read_text() == "previous report"
    assert main(["report", str(FLAGSHIP), "-o", str(tmp_path)]) == 1
    assert "is a folder" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml", "r.html"], "no temporary file left"
    with pytest.raises(SystemExit) as info:
        main(["report", str(FLAGSHIP), "--set", "no-equals-sign"])
    assert info.value.code == 2


def test_failed_write_keeps_the_previous_report(tmp_path, monkeypatch):
    from fleetsim import output
    from fleetsim.errors import OutputError
    from fleetsim.faces import report

    target = tmp_path / "r.html"
    target.write_text(f"{report.GENERATOR} previous report")

    def broken(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(output.os, "replace", broken)
    with pytest.raises(OutputError, match="No space left"):
        report.write(target, "<html></html>")
    assert target.read_text() == f"{report.GENERATOR} previous report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html"]


def test_written_report_has_ordinary_permissions(report_file):
    umask = os.umask(0o022)
    os.umask(umask)
    assert report_file.stat().st_mode & 0o777 == 0o666 & ~umask


# --------------------------------------------------------------------------- a real browser
def chromium(url: str, *extra: str) -> subprocess.CompletedProcess:
    """Headless Chromium on ``url`` with no network, a fresh profile and console logging."""
    if not CHROMIUM.exists():
        pytest.skip("chromium not installed: apt-get install chromium (CI installs it)")
    profile = tempfile.mkdtemp(prefix="fleetsim-chromium-")
    try:
        return subprocess.run(
            [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", "--virtual-time-budget=2000",
             *extra, url], capture_output=True, text=True, timeout=120)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def console_messages(stderr: str) -> list[str]:
    """What the page wrote to the browser console: Chromium logs every console message, error
    or not (uncaught exceptions, blocked or failed loads), as a ``CONSOLE`` line."""
    return [line for line in stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]


def test_browser_console_check_catches_errors(tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" '
                   "content=\"default-src 'none'\"></head><body><img src=\"https://example.com/x.png\">"
                   "</body></html>")
    done = chromium(bad.as_uri(), "--dump-dom")
    assert any("Content Security Policy" in m for m in console_messages(done.stderr)), done.stderr[-2000:]


def test_browser_loads_the_report_without_console_errors(report_file):
    done = chromium(report_file.as_uri(), "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    assert console_messages(done.stderr) == []
    dom = done.stdout
    assert "<title>fleetsim report: colossus</title>" in dom
    assert len(re.findall(r'<img src="data:image/png;base64,', dom)) == len(plots.CHARTS)
    assert "ERR_" not in dom and "This page has been blocked" not in dom


def test_browser_shows_every_chart(report_file, tmp_path):
    """A copy of the page with a probe script (the report itself has none): every image decoded
    at its full size."""
    probe = ("<script>addEventListener('load', () => { const i = [...document.images];"
             "document.title = 'decoded ' + i.filter(x => x.complete && x.naturalWidth >= 800).length"
             " + ' of ' + i.length; });</script>")
    html = report_file.read_text().replace("default-src 'none';", "default-src 'none'; script-src 'unsafe-inline';")
    copy = tmp_path / "probe.html"
    copy.write_text(html.replace("</body>", probe + "</body>"))
    done = chromium(copy.as_uri(), "--dump-dom")
    count = len(plots.CHARTS)
    assert f"<title>decoded {count} of {count}</title>" in done.stdout, done.stderr[-2000:]
    assert console_messages(done.stderr) == []


# colossus.yaml's report is report_file (well formed, every chart a PNG: the tests above) and
# colossus-uncertain.yaml's is draws_report's (the same charts and the fan charts, the tests below)
@pytest.mark.parametrize("scenario", [p for p in sorted((ROOT / "scenarios").glob("*.yaml"))
                                      if p.name not in ("colossus.yaml", "colossus-uncertain.yaml")],
                         ids=lambda p: p.name)
def test_every_shipped_scenario_makes_a_report(scenario, shipped_result):
    import fleetsim
    from fleetsim.faces import report

    loaded = fleetsim.load(scenario)
    parsed = Page()
    parsed.feed(report.render(loaded, shipped_result(scenario.stem)))  # the simulation test_golden reads too
    parsed.close()
    assert parsed.open == [] and len(parsed.of("img")) == len(plots.CHARTS)


# --------------------------------------------------------------------------- --draws: ranges and fan charts
UNCERTAIN = ROOT / "scenarios" / "colossus-uncertain.yaml"
DRAWS = 6


@pytest.fixture(scope="module")
def draws_run(once) -> tuple[Path, str]:
    """One report with draws for every test of them, written once for the whole run (it is the slow
    one): its file and what the command printed."""

    def write(folder: Path) -> None:
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            assert main(["report", str(UNCERTAIN), "-o", str(folder / "uncertain.html"), "--draws", str(DRAWS),
                         "--workers", "1"]) == 0
        (folder / "printed.txt").write_text(printed.getvalue(), encoding="utf-8")

    folder = once("report-draws", write)
    return folder / "uncertain.html", (folder / "printed.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def draws_report(draws_run) -> Path:
    return draws_run[0]


@pytest.fixture(scope="module")
def draws_page(draws_report) -> Page:
    parsed = Page()
    parsed.feed(draws_report.read_text(encoding="utf-8"))
    parsed.close()
    assert parsed.open == [], f"unclosed tags: {parsed.open}"
    return parsed


def test_report_with_draws_adds_fan_charts(draws_page):
    figures = [a["id"] for a in draws_page.of("figure")]
    fans = [f"chart-fan_{column}" for column in plots.FAN_COLUMNS]
    assert figures == [f"chart-{name}" for name in plots.CHARTS] + fans
    assert {"facility_power_mw", "cash_burn_usd", "cumulative_cash_usd", "cost_per_h100e_hour_usd"} <= set(
        plots.FAN_COLUMNS)
    images = draws_page.of("img")
    assert len(images) == len(plots.CHARTS) + len(plots.FAN_COLUMNS)
    for image in images:
        assert base64.b64decode(image["src"].split(",", 1)[1]).startswith(PNG)
    captions = [a["alt"] for a in images[len(plots.CHARTS):]]
    assert all(f"over {DRAWS} draws" in c for c in captions) and "(cash_burn_usd)" in captions[1]


def test_report_with_draws_has_the_ranges_and_the_inputs(draws_page, draws_report):
    text = " ".join(draws_page.text)
    assert draws_page.headings[:1] == ["colossus-uncertain"]
    assert {"Uncertainty", "Uncertain inputs", "Headline figures over the draws", "Fan charts"} <= set(
        draws_page.headings)
    assert draws_page.headings.index("Uncertainty") == draws_page.headings.index("Charts") + 1
    assert {"#uncertainty"} <= {a.get("href") for a in draws_page.of("a")}
    assert f"{DRAWS} Monte Carlo draws of the scenario's 7 uncertain inputs" in text
    section = draws_report.read_text().split('<section id="uncertainty">', 1)[1].split("</section>", 1)[0]
    assert "<th style=\"text-align:right\">P10</th><th style=\"text-align:right\">P50</th>" in section
    for label in ("Cumulative cash at the end", "Cash burn, mean per month", "Operating cost per H100e-hour",
                  "Peak facility power (full load)"):
        assert label in section
    assert "finance.opex.fixed.2025-01" in text
    assert "{triangular: [120 MUSD/month, 220 MUSD/month, 320 MUSD/month]}" in text
    assert "220 MUSD/month" in text and "1 month" in text, "central values, short"


def test_report_ranges_match_the_ensemble():
    import fleetsim
    from fleetsim.faces.report import ranges_table
    from fleetsim.uncertainty.montecarlo import run_many

    ensemble = run_many(fleetsim.load(UNCERTAIN), draws=3, workers=1)
    ranges = ensemble.summary()
    parsed = Page()
    parsed.feed(ranges_table(ranges))
    cells = [t for t in parsed.text if t.strip()]
    row = cells[cells.index("Cumulative cash at the end"):][:5]
    assert row[1:] == [f"{v / 1e6:,.0f}" for v in ranges.loc["cumulative_cash_usd_end"]] + ["MUSD"]


def test_report_without_draws_has_no_uncertainty_section(page):
    assert "Uncertainty" not in page.headings
    assert not [a for a in page.of("figure") if a["id"].startswith("chart-fan_")]


def test_report_with_draws_still_needs_nothing_outside_itself(draws_page):
    assert "script" not in draws_page.tags and "link" not in draws_page.tags
    for tag, attrs in draws_page.attrs:
        for name in ("src", "href"):
            value = attrs.get(name)
            assert value is None or value.startswith(("#", "data:")), (tag, name, value[:80])


def test_report_draws_message_and_usage_errors(draws_run, tmp_path, capsys):
    assert f"{DRAWS} draws with 4 fan charts" in " ".join(draws_run[1].split())
    for bad in (["--draws", "0"], ["--draws", "2", "--workers", "0"]):
        with pytest.raises(SystemExit) as info:
            main(["report", str(UNCERTAIN), "-o", str(tmp_path / "x.html"), *bad])
        assert info.value.code == 2
    assert "must be at least 1" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []  # usage errors write nothing


def test_browser_shows_the_fan_charts(draws_report, tmp_path):
    probe = ("<script>addEventListener('load', () => { const i = [...document.images];"
             "document.title = 'decoded ' + i.filter(x => x.complete && x.naturalWidth >= 800).length"
             " + ' of ' + i.length; });</script>")
    html = draws_report.read_text().replace("default-src 'none';", "default-src 'none'; script-src 'unsafe-inline';")
    copy = tmp_path / "probe.html"
    copy.write_text(html.replace("</body>", probe + "</body>"))
    done = chromium(copy.as_uri(), "--dump-dom")
    count = len(plots.CHARTS) + len(plots.FAN_COLUMNS)
    assert f"<title>decoded {count} of {count}</title>" in done.stdout, done.stderr[-2000:]
    assert console_messages(done.stderr) == []


def test_report_draws_of_a_scenario_without_distributions(make_scenario, tmp_path, stand_in_charts):
    scenario = make_scenario(failure_rate=0.05)
    target = tmp_path / "r.html"
    assert main(["report", str(scenario.path), "-o", str(target), "--draws", "3", "--workers", "1", "--quiet"]) == 0
    parsed = Page()
    parsed.feed(target.read_text())
    text = " ".join(parsed.text)
    assert "the scenario has no uncertain inputs" in text and "Uncertain inputs" not in parsed.headings
    assert len(parsed.of("img")) == len(plots.CHARTS) + len(plots.FAN_COLUMNS)
