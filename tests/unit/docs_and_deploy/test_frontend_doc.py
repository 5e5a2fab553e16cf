"""frontend/README.md names only what exists: its components (all of them), hooks, files and browser
tests, and says when the browser test writes the screenshot."""

import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
FRONTEND = os.path.join(ROOT, "frontend")


def readme():
    with open(os.path.join(FRONTEND, "README.md"), encoding="utf-8") as handle:
        return handle.read()


def bullet(text, start):
    """The text of the list item that starts with `start`, up to the next item at its indent or less."""
    match = re.search(rf"^( *)- {re.escape(start)}.*?(?=^\1?- |^\S|\Z)", text, re.M | re.S)
    assert match, f"no list item starting {start!r} in frontend/README.md"
    return match.group()


def names_in(text):
    return set(re.findall(r"`(\w+)`", text))


def test_the_component_list_names_exactly_the_components_there_are():
    listed = names_in(bullet(readme(), "components (`src/components/`)"))
    files = {
        name[: -len(".jsx")]
        for name in os.listdir(os.path.join(FRONTEND, "src", "components"))
        if name.endswith(".jsx") and not name.endswith(".test.jsx")
    }
    assert listed - files == set(), "named in frontend/README.md but not in src/components/"
    assert files - listed == set(), "in src/components/ but not named in frontend/README.md"


def test_every_hook_named_exists():
    listed = {name for name in names_in(bullet(readme(), "hooks (`src/hooks/`)")) if name.startswith("use")}
    assert listed, "no hooks named"
    missing = {name for name in listed if not os.path.exists(os.path.join(FRONTEND, "src", "hooks", f"{name}.js"))}
    assert missing == set()


def test_every_file_named_exists():
    text = readme()
    paths = set(re.findall(r"`(src/[\w./-]+)`", text))
    assert "src/App.jsx" in paths
    assert {p for p in paths if not os.path.exists(os.path.join(FRONTEND, p))} == set()
    tests = set(re.findall(r"`(tests/browser/[\w.-]+)`", text))
    assert tests, "no browser test named"
    assert {t for t in tests if not os.path.exists(os.path.join(ROOT, t))} == set()


def test_it_says_the_screenshot_is_written_only_by_make_screenshot():
    sentences = [s for s in re.split(r"(?<=[.;])\s", readme()) if "screenshot-wallet.png" in s]
    assert sentences, "frontend/README.md does not say where the screenshot comes from"
    for sentence in sentences:
        assert "make screenshot" in sentence and "WALLET_SCREENSHOT=1" in sentence, sentence
    with open(os.path.join(ROOT, "make", "frontend.mk"), encoding="utf-8") as handle:
        target = handle.read().split("\nscreenshot:", 1)[1].split("\n\n", 1)[0]
    assert "WALLET_SCREENSHOT=1" in target and "wallet.test.mjs" in target
    with open(os.path.join(ROOT, "tests", "browser", "wallet.test.mjs"), encoding="utf-8") as handle:
        assert "if (process.env.WALLET_SCREENSHOT === '1')" in handle.read()
