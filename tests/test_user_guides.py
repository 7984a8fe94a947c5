"""The user guides (docs/guide/): one per role, in Chinese, and every picture in them is taken by a
browser journey (`shot(..., guide="name")`, saved by `make guide`), so a picture cannot outlive the
step that takes it. Text only: no browser, no server."""
import ast
import re
import struct
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUIDES = ROOT / "docs" / "guide"
IMAGES = GUIDES / "images"
JOURNEYS = sorted((ROOT / "tests" / "browser").glob("test_journey_*.py"))
ROLE_GUIDES = {
    "park-manager.md": "园区管理员",
    "expert.md": "专家·督导",
    "trainee.md": "学员",
    "organization-contact.md": "组织联系人",
    "administrator.md": "区级管理员",
}
PICTURE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
GUIDE_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)+$")
HAN = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]")
HALF_WIDTH_BESIDE_HAN = re.compile(r"[\u4e00-\u9fff][(),;:!?]|[(),;:!?][\u4e00-\u9fff]")
WIDTHS = {"desktop": 1366, "phone": 390}  # tests/browser/people.py VIEWPORTS


def guide_files():
    return sorted(GUIDES.glob("*.md"))


def without_code(text: str) -> str:
    return re.sub(r"`[^`]*`", "", re.sub(r"```.*?```", "", text, flags=re.S))


def pictures(path: Path) -> list[tuple[str, str]]:
    """The pictures a guide shows (caption, target); an example in `code` is not one."""
    return PICTURE.findall(without_code(path.read_text(encoding="utf-8")))


def journey_guide_names() -> dict[str, str]:
    """Every `guide="…"` given to a call in the journeys: name → the journey file that takes it."""
    names: dict[str, str] = {}
    for journey in JOURNEYS:
        for node in ast.walk(ast.parse(journey.read_text(encoding="utf-8"), filename=str(journey))):
            if not isinstance(node, ast.Call):
                continue
            for keyword in node.keywords:
                if keyword.arg != "guide":
                    continue
                where = f"{journey.name}:{node.lineno}"
                assert isinstance(keyword.value, ast.Constant) and isinstance(keyword.value.value, str), \
                    f"{where}: guide= must be a plain string, so that this test can read it"
                name = keyword.value.value
                assert name not in names, f"guide picture {name!r} is taken twice: {names[name]} and {where}"
                names[name] = where
    return names


def prose(text: str) -> str:
    """The guide's words: without code blocks, inline code, and the targets of links and pictures."""
    return re.sub(r"\]\([^)]*\)", "]", without_code(text))


def png_width(path: Path) -> int:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    return struct.unpack(">I", header[16:20])[0]


def test_every_role_has_its_guide_and_the_index_lists_them_and_how_pictures_are_made():
    index = (GUIDES / "README.md").read_text(encoding="utf-8")
    for name, role in ROLE_GUIDES.items():
        path = GUIDES / name
        assert path.is_file(), f"docs/guide/{name} is missing"
        title = path.read_text(encoding="utf-8").splitlines()[0]
        assert title.startswith("# ") and role in title, f"{name} should open with a title naming {role}"
        assert f"]({name})" in index, f"docs/guide/README.md does not link {name}"
    assert "make guide" in index


def test_links_between_the_guides_lead_to_files_that_exist():
    for path in guide_files():
        for target in LINK.findall(without_code(path.read_text(encoding="utf-8"))):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            assert (path.parent / target.split("#")[0]).exists(), f"{path.name} links {target}, which does not exist"


def test_every_picture_a_guide_shows_exists_and_is_taken_by_a_journey():
    taken = journey_guide_names()
    for path in guide_files():
        for caption, target in pictures(path):
            assert caption.strip(), f"{path.name}: the picture {target} has no caption"
            assert target.startswith("images/") and target.endswith(".png"), \
                f"{path.name}: {target} should be a picture in docs/guide/images/"
            name = target[len("images/"):-len(".png")]
            assert (IMAGES / f"{name}.png").is_file(), f"{path.name} shows {target}, which is missing (run make guide)"
            assert name in taken, (f"{path.name} shows {target}, but no journey takes it: add guide=\"{name}\" to "
                                   "the step's shot() in tests/browser/test_journey_*.py, or drop the picture")


def test_no_picture_is_left_over_and_every_guide_step_is_shown():
    shown = {target[len("images/"):-len(".png")] for path in guide_files() for _, target in pictures(path)}
    taken = journey_guide_names()
    on_disk = {path.stem for path in IMAGES.glob("*.png")}
    assert on_disk - shown == set(), "pictures in docs/guide/images that no guide shows"
    assert set(taken) - shown == set(), \
        f"journey steps take guide pictures that no guide shows: {sorted((n, taken[n]) for n in set(taken) - shown)}"


def test_guide_pictures_are_named_for_their_role_and_screen():
    for name in journey_guide_names():
        assert GUIDE_NAME.match(name), f"guide picture name {name!r}: lower-case ASCII words joined by '-'"
    for path in sorted(IMAGES.glob("*.png")):
        kind = "phone" if path.stem.endswith("-phone") else "desktop"
        assert png_width(path) == WIDTHS[kind], \
            f"{path.name} is {png_width(path)} px wide: a {kind} picture is {WIDTHS[kind]} px (phone pictures end in -phone)"


@pytest.mark.parametrize("name", sorted(ROLE_GUIDES))
def test_each_role_guide_shows_its_steps_in_pictures(name):
    assert len(pictures(GUIDES / name)) >= 5, f"{name} should show at least five steps in pictures"


@pytest.mark.parametrize("path", guide_files(), ids=lambda p: p.name)
def test_the_guides_are_written_in_chinese_with_full_width_punctuation(path):
    words = prose(path.read_text(encoding="utf-8"))
    han, latin = len(HAN.findall(words)), len(LATIN.findall(words))
    assert han > 300 and han >= 10 * latin, f"{path.name}: {han} Chinese characters, {latin} Latin letters"
    wrong = [line.strip() for line in words.splitlines() if HALF_WIDTH_BESIDE_HAN.search(line)]
    assert wrong == [], f"{path.name}: half-width punctuation beside Chinese text"
