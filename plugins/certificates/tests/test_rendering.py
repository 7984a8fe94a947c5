"""The renderer on its own: one WeasyPrint document cut into single-page files, stored by the worker."""
import hashlib
import io
import shutil
import subprocess

import pytest
from pypdf import PdfReader

from plugins.certificates import rendering


def variables(name: str, number: int) -> dict:
    code = f"ABCD-EFGH-JKLM-{number:04d}"
    return dict(serial=f"BHJY2026{number:07d}", code=code, kind="completion", kind_label="结业证书", version=1,
                academy="包河区社区治理学院", issuer="方兴社区孵化园", seal_text="方兴社区孵化园",
                park_code="fangxing", issue_date="2026年11月20日",
                verify_base="http://127.0.0.1:5000/certificates/verify",
                verify_url=f"http://127.0.0.1:5000/certificates/verify/{code}", holder_name=name,
                period="2026年9月1日至2026年11月20日", course_title="社区参与式治理", hours="24",
                outcome="完成全部学习并结业")


def images(page) -> set[tuple[bytes, bytes]]:
    """The image data a page can draw, through its resources and its form XObjects'."""
    found = set()

    def walk(resources):
        for xobject in (resources or {}).get("/XObject", {}).values():
            xobject = xobject.get_object()
            if xobject["/Subtype"] == "/Image":
                mask = xobject.get("/SMask")  # the seal's shape is in its alpha mask
                found.add((xobject.get_data(), mask.get_object().get_data() if mask else b""))
            else:
                walk(xobject.get("/Resources"))

    walk(page["/Resources"])
    return found


def text_runs(data: bytes) -> set[tuple[str, float, float]]:
    """Each piece of text a one-page PDF draws, with where it starts on the page (in points)."""
    found = set()

    def visit(text, cm, tm, _font, _size):
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            found.add((text.strip(), round(x, 2), round(y, 2)))

    PdfReader(io.BytesIO(data)).pages[0].extract_text(visitor_text=visit)
    return found


def in_full(values: list[dict]) -> list[bytes]:
    """The same certificates, every page laid out by WeasyPrint (the single certificate's way)."""
    parts = [rendering.render_parts(rendering.template("completion"), rendering.with_qr(v)) for v in values]
    return rendering._laid_out_in_full(parts[0][0], [page for _style, page in parts])


def overlaid(data: bytes) -> bool:
    """Drawn over the batch's shared page (overlay.py): its content is several streams."""
    return isinstance(PdfReader(io.BytesIO(data)).pages[0]["/Contents"], list)


NAMES = ["王芳", "李娜娜", "张伟", "欧阳建国", "䶮"]


def test_a_batch_is_cut_into_one_valid_file_per_certificate_each_with_only_its_own_content():
    files = rendering.render_pdfs("completion", None, [variables(n, i) for i, n in enumerate(NAMES, 1)])
    assert len(files) == len(NAMES) and all(overlaid(data) for data in files)
    seals = set()
    for number, (name, data) in enumerate(zip(NAMES, files), 1):
        reader = PdfReader(io.BytesIO(data), strict=True)
        assert len(reader.pages) == 1
        text = "".join(reader.pages[0].extract_text().split())
        assert name in text and f"BHJY2026{number:07d}" in text and f"ABCD-EFGH-JKLM-{number:04d}" in text
        assert not any(other in text for other in NAMES if other != name)
        assert not any(f"BHJY2026{other:07d}" in text for other in range(1, len(NAMES) + 1) if other != number)
        seals |= images(reader.pages[0])
    assert len(seals) == 1  # the seal, shared; each QR code is drawn as vectors in the file's own stream


def test_the_batch_draws_every_text_where_a_full_layout_puts_it():
    values = [variables(n, i) for i, n in enumerate(NAMES, 1)]
    for fast, full in zip(rendering.render_pdfs("completion", None, values), in_full(values)):
        assert text_runs(fast) == text_runs(full)
        assert abs(len(fast) - len(full)) < 20 * 1024  # the same font subset and seal


@pytest.mark.skipif(not shutil.which("pdftoppm"), reason="poppler-utils (pdftoppm) is not installed")
def test_each_file_of_a_batch_has_its_own_qr_code(tmp_path):
    import zxingcpp
    from PIL import Image
    values = [variables(n, i) for i, n in enumerate(NAMES[:3], 1)]
    for number, data in enumerate(rendering.render_pdfs("completion", None, values)):
        (tmp_path / "c.pdf").write_bytes(data)
        subprocess.run(["pdftoppm", "-png", "-r", "150", "-singlefile", tmp_path / "c.pdf", tmp_path / "c"], check=True)
        decoded = [code.text for code in zxingcpp.read_barcodes(Image.open(tmp_path / "c.png"))]
        assert decoded == [values[number]["verify_url"]]


def test_a_name_too_long_for_its_line_is_laid_out_in_full_the_others_not():
    names = ["王芳", "李娜娜", "张伟", "长" * 60]
    values = [variables(n, i) for i, n in enumerate(names, 1)]
    files = rendering.render_pdfs("completion", None, values)
    assert [overlaid(data) for data in files] == [True, True, True, False]
    assert text_runs(files[3]) == text_runs(in_full(values[3:])[0])  # wrapped, the paragraph below moved down


def test_a_value_inside_a_wrapped_paragraph_lays_the_batch_out_in_full():
    # The course's title ends the paragraph's first line: another title moves the line's break.
    values = [dict(variables(n, i), course_title=title) for i, (n, title)
              in enumerate(zip(NAMES[:3], ["社区参与式治理", "议事协商", "社区社会组织培育与发展实务"]), 1)]
    files = rendering.render_pdfs("completion", None, values)
    assert not any(overlaid(data) for data in files)
    for value, data in zip(values, files):
        assert value["course_title"] in "".join(PdfReader(io.BytesIO(data)).pages[0].extract_text().split())


def test_hours_that_differ_are_put_in_their_line():
    values = [dict(variables(n, i), hours=hours) for i, (n, hours) in enumerate(zip(NAMES[:3], ["24", "8", "120"]), 1)]
    files = rendering.render_pdfs("completion", None, values)
    assert all(overlaid(data) for data in files)
    for fast, full in zip(files, in_full(values)):
        assert text_runs(fast) == text_runs(full)


def test_render_many_stores_each_file_whole_and_returns_its_hash(tmp_path):
    paths = [str(tmp_path / f"{n}.pdf") for n in range(3)]
    jobs = [("completion", None, variables(name, n), path) for n, (name, path) in enumerate(zip("赵钱孙", paths))]
    stored = rendering.render_many(jobs)
    for path, (sha256, size) in zip(paths, stored):
        data = open(path, "rb").read()
        assert hashlib.sha256(data).hexdigest() == sha256 and len(data) == size
    assert not list(tmp_path.glob("*.tmp"))


def test_park_templates_may_still_place_the_qr_code_and_the_seal_as_images():
    source = ('{% extends "completion.html" %}{% block issuer %}{{ seal("万年埠街道办事处") }}{{ qr }}'
              '万年埠街道办事处{% endblock %}')
    [data] = rendering.render_pdfs("completion", source, [variables("王芳", 1)])
    page = PdfReader(io.BytesIO(data)).pages[0]
    assert "万年埠街道办事处" in page.extract_text()
    assert len(images(page)) == 3  # the QR code (as background and <img>: one image), two seals


def test_a_template_that_overflows_a_page_is_refused():
    source = ('{% extends "completion.html" %}{% block page %}<div class="certificate">{{ holder_name }}</div>'
              '<div class="certificate">{{ serial }}</div>{% endblock %}')
    with pytest.raises(rendering.TemplateProblem, match="超出一页"):
        rendering.render_pdfs("completion", source, [variables("王芳", 1), variables("李四", 2)])


def test_a_park_sets_its_own_seal_through_the_seal_block():
    default = rendering.render_pdfs("completion", None, [variables("王芳", 1)])[0]
    own = rendering.render_pdfs("completion", '{% extends "completion.html" %}{% block seal %}'
                                '{{ seal_url("万年埠街道办事处") }}{% endblock %}', [variables("王芳", 1)])[0]
    default_images, own_images = (images(PdfReader(io.BytesIO(d)).pages[0]) for d in (default, own))
    assert len(default_images) == len(own_images) == 2 and len(default_images & own_images) == 1  # the same QR code


def test_a_park_template_with_the_qr_code_inside_a_line_of_text_is_laid_out_in_full():
    source = '{% extends "completion.html" %}{% block issuer %}{{ qr }}万年埠街道办事处{% endblock %}'
    values = [variables(n, i) for i, n in enumerate(NAMES[:3], 1)]
    files = rendering.render_pdfs("completion", source, values)
    assert not any(overlaid(data) for data in files)
    assert all(len(images(PdfReader(io.BytesIO(data)).pages[0])) == 2 for data in files)  # the seal, its QR code


def test_a_page_that_differs_in_more_than_its_values_is_laid_out_in_full():
    # The name's length is not a variable: two names of one length would hide it from the comparison.
    source = ('{% extends "completion.html" %}{% block issuer %}{{ holder_name|length }}字'
              '{% endblock %}')
    values = [variables(n, i) for i, n in enumerate(["王芳", "李娜", "张伟", "欧阳建国"], 1)]
    files = rendering.render_pdfs("completion", source, values)
    assert [overlaid(data) for data in files] == [True, True, True, False]
    assert "4字" in PdfReader(io.BytesIO(files[3])).pages[0].extract_text()
