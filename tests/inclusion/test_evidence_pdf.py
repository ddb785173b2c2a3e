"""The Empower citizens evidence pack as PDF: who may download it, what it says, and that
rendering it never touches the network."""

import datetime
import io
import re
import socket

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from pypdf import PdfReader
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from inclusion import evidence, evidence_pdf
from inclusion.views import DEMO_WARNING
from portal.models import SiteSettings

URL = "/admin/inclusion/evidence/pdf/"
EVIDENCE = "/admin/inclusion/evidence/"


LOCAL = {"127.0.0.1", "::1", "localhost"}


def block_network(patch):
    """Any attempt to reach a host other than this one (the test database) raises."""
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def allowed(address) -> bool:
        return not isinstance(address, tuple) or address[0] in LOCAL

    def connect(self, address):
        assert allowed(address), f"network access attempted: {address!r}"
        return real_connect(self, address)

    def connect_ex(self, address):
        assert allowed(address), f"network access attempted: {address!r}"
        return real_connect_ex(self, address)

    def getaddrinfo(host, *args, **kwargs):
        assert host in LOCAL, f"name lookup attempted: {host!r}"
        return real_getaddrinfo(host, *args, **kwargs)

    patch.setattr(socket.socket, "connect", connect)
    patch.setattr(socket.socket, "connect_ex", connect_ex)
    patch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture
def no_network(monkeypatch):
    block_network(monkeypatch)


def flat(text: str) -> str:
    """Text with line breaks undone (including those after a hyphen), for comparisons."""
    return re.sub(r"-\s+", "-", " ".join(text.split()))


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return flat(" ".join(page.extract_text() or "" for page in reader.pages))


_DOWNLOADED = {}


@pytest.fixture
def downloaded(client, django_user_model, demo):
    """One PDF download for the whole module (rendering it is the slow part), made with
    the network blocked; each test still runs in its own rolled-back transaction."""
    if "pdf" not in _DOWNLOADED:
        user = django_user_model.objects.create_user("pdf_lead", password="pw")
        user.groups.add(Group.objects.get(name="Inclusion leads"))
        client.force_login(user)
        with pytest.MonkeyPatch.context() as patch:
            block_network(patch)
            response = client.get(URL)
        sections, _ = evidence.sections()
        _DOWNLOADED["pdf"] = (response, sections)
    return _DOWNLOADED["pdf"]


def test_lead_downloads_a_pdf(downloaded):
    response, _ = downloaded
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    day = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="empower-citizens-evidence-{day}.pdf"')
    assert response.content.startswith(b"%PDF")


def test_pdf_has_every_section_rule_and_the_demo_warning(downloaded):
    response, sections = downloaded
    text = pdf_text(response.content)
    assert {s.key for s in sections} == set(evidence.RULES)
    for section in sections:
        assert flat(f"{section.title}: {section.rag_label}") in text, section.key
        for finding in section.findings:
            assert flat(finding) in text, finding
        for source in section.sources:
            assert flat(source) in text
    for rule in evidence.RULES.values():
        assert flat(rule) in text
    assert flat(DEMO_WARNING) in text
    assert "Page 1 of" in text
    # the warning is on the first page, and in the header of every page
    reader = PdfReader(io.BytesIO(response.content))
    assert flat(DEMO_WARNING) in flat(reader.pages[0].extract_text())
    assert all("DEMONSTRATION DATA" in (page.extract_text() or "") for page in reader.pages)


def test_pdf_is_tagged_titled_and_in_british_english(downloaded):
    reader = PdfReader(io.BytesIO(downloaded[0].content))
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en-GB"
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]
    assert reader.metadata.title == "Empower citizens: evidence"


def test_pdf_tables_apply_disclosure_control(demo, no_network):
    ctx = evidence_pdf.context()
    figures = [f for item in ctx["sections"] for f in item.figures]
    assert {f.key for f in figures} >= {"coverage", "self_service", "records", "trend",
                                        "deciles"}
    for figure in figures:
        assert figure.rows and figure.chart.startswith("<svg")
        if "Numerator" not in figure.headings:
            continue
        column = figure.headings.index("Numerator")
        for row in figure.rows:
            value = row[column].replace(",", "")
            assert value == "*" or int(value) == 0 or int(value) % 5 == 0


def test_demo_warning_follows_the_flag_and_the_sources(demo, no_network):
    settings = SiteSettings.load()
    settings.demonstration_data = False
    settings.save()
    ctx = evidence_pdf.context()
    assert ctx["demo_warning"] == DEMO_WARNING  # the demo's sources are still synthetic
    ctx["demo_warning"] = ""  # as if every source were real and the flag off
    page = HTMLParser(evidence_pdf.render_html(ctx))
    assert page.css_first(".demo-warning") is None
    assert "DEMONSTRATION DATA" not in page.css_first(".running-header").text()
    assert page.css_first("html").attributes["lang"] == "en-GB"
    assert page.css_first("link") is None  # no external stylesheet (NHS.UK CSS loads fonts)


@pytest.mark.parametrize("url", [
    "https://assets.nhs.uk/fonts/FrutigerLTW01-55Roman.woff2",
    "http://10.0.0.1/",
    "ftp://example.org/x.css",
    "file:///etc/passwd",
    "file://server/share/x.css",
])
def test_fetcher_refuses_everything_but_local_static(url, no_network):
    with pytest.raises(evidence_pdf.RefusedURL):
        evidence_pdf.LocalOnlyFetcher().fetch(url)


def test_fetcher_refuses_escaping_the_static_dir(tmp_path, no_network):
    root = tmp_path / "static"
    root.mkdir()
    (root / "ok.css").write_text("p { color: red }")
    (tmp_path / "secret.txt").write_text("secret")
    fetcher = evidence_pdf.LocalOnlyFetcher(roots=[root])
    assert fetcher.fetch((root / "ok.css").as_uri()).read() == b"p { color: red }"
    with pytest.raises(evidence_pdf.RefusedURL):
        fetcher.fetch(root.as_uri() + "/../secret.txt")


def test_fetcher_serves_data_urls(no_network):
    response = evidence_pdf.LocalOnlyFetcher().fetch("data:text/plain;base64,aGk=")
    assert response.read() == b"hi"


def test_project_static_dirs_exclude_installed_packages():
    dirs = evidence_pdf.static_dirs()
    assert dirs and all(".venv" not in d.parts and "site-packages" not in d.parts for d in dirs)


def test_filename():
    assert evidence_pdf.filename(datetime.date(2025, 3, 9)) == (
        "empower-citizens-evidence-2025-03-09.pdf")


def test_evidence_page_links_to_the_pdf(lead):
    response = lead.get(EVIDENCE)
    assert response.status_code == 200
    link = HTMLParser(response.content.decode()).css_first(f'a[href="{URL}"]')
    assert link is not None
    assert link.text(strip=True) == "Download as PDF"


def test_comms_editor_is_refused(client, member, demo):
    client.force_login(member("Comms editors"))
    response = client.get(URL)
    assert response.status_code in (302, 403)
    assert not response.content.startswith(b"%PDF")


def test_anonymous_is_sent_to_login(client, demo):
    response = client.get(URL)
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_superuser_may_download(client, django_user_model, demo, monkeypatch):
    monkeypatch.setattr(evidence_pdf, "render_pdf", lambda **kwargs: b"%PDF-stub")
    client.force_login(django_user_model.objects.create_superuser("boss", "b@example.org", "pw"))
    response = client.get(URL)
    assert response.status_code == 200 and response.content == b"%PDF-stub"
