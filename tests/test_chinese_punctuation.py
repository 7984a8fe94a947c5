"""Chinese text on pages uses full-width punctuation: “（已报名），” not “(已报名),”."""
import re
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
HALF_WIDTH_BESIDE_HAN = re.compile(r"[\u4e00-\u9fff][(),;!?]|[(),;!?][\u4e00-\u9fff]")


def test_every_chinese_message_uses_full_width_punctuation():
    catalogs = [ROOT / "incubator/translations/en/LC_MESSAGES/messages.po",
                *sorted(ROOT.glob("plugins/*/translations/en/LC_MESSAGES/messages.po"))]
    assert len(catalogs) >= 7
    wrong = []
    for catalog in catalogs:
        with open(catalog, "rb") as f:
            for message in read_po(f):
                for msgid in message.id if isinstance(message.id, tuple) else (message.id,):
                    text = re.sub(r"%\(\w+\)[sd]", "X", msgid or "")
                    if HALF_WIDTH_BESIDE_HAN.search(text):
                        wrong.append(f"{catalog.relative_to(ROOT)}: {msgid}")
    assert wrong == []
