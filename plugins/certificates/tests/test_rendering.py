"""The renderer on its own: one WeasyPrint document cut into single-page files, stored by the worker."""
import hashlib
import io

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


def test_a_document_is_cut_into_one_valid_file_per_certificate_each_with_only_its_own_content():
    names = ["王芳", "李娜娜", "张伟"]
    files = rendering.render_pdfs("completion", None, [variables(n, i) for i, n in enumerate(names, 1)])
    alone = rendering.render_pdfs("completion", None, [variables("王芳", 1)])[0]
    assert len(files) == 3
    seen_images = []
    for number, (name, data) in enumerate(zip(names, files), 1):
        reader = PdfReader(io.BytesIO(data), strict=True)
        assert len(reader.pages) == 1
        text = "".join(reader.pages[0].extract_text().split())
        assert name in text and f"BHJY2026{number:07d}" in text
        assert not any(other in text for other in names if other != name)
        seen_images.append(images(reader.pages[0]))
    # each file carries its own QR code and the seal, never the other pages' QR codes
    assert len(images(PdfReader(io.BytesIO(alone)).pages[0])) == len(seen_images[0]) >= 2
    assert all(len(a & b) == len(seen_images[0]) - 1 for a in seen_images for b in seen_images if a is not b)
    assert files[0] != alone and abs(len(files[0]) - len(alone)) < 20 * 1024  # the shared subset: a little larger


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
