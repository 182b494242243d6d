"""Checking a course's lessons: Markdown bodies and their pictures, quiz items, practice tasks."""

import re
from dataclasses import dataclass
from pathlib import Path

from lms.models.curriculum import PracticeKind, QuizKind
from lms.services.curricula import lesson_markdown, svgcheck
from lms.services.curricula.yamlfile import Checker, Node, Seq

MAX_IMAGE_BYTES = 60 * 1024
MAX_AUDIO_BYTES = 1024 * 1024  # about 8 minutes of speech as 16 kbit/s Opus
AUDIO_FILE = re.compile(r"^audio/[A-Za-z0-9._-]+\.(?:opus|ogg|m4a|aac)$")
LETTERS = "ABCDEF"


@dataclass
class QuizSpec:
    slug: str
    kind: str
    question: str
    options: list[str]
    answer: list[int]
    explanation: str
    file: str = ""  # where the item is, for the tree-wide checks (quizbalance)
    line: int = 0


@dataclass
class PracticeSpec:
    slug: str
    kind: str
    title: dict[str, str]
    instructions: str
    record: str


@dataclass
class LessonSpec:
    slug: str
    title: dict[str, str]
    minutes: int
    body: str
    quiz: list[QuizSpec]
    practice: PracticeSpec | None
    audio: str | None = None  # a recording of the lesson read aloud: audio/<name> in the folder
    body_file: Path | None = None  # where the text is (for the tree-wide checks)


def load_lessons(check, folder, data, lesson_slugs, task_slugs, cards) -> list[LessonSpec]:
    """The course's lessons; `cards` are the platform cards' slugs a `card:` link may name."""
    items = data.get("lessons")
    if not isinstance(items, Seq) or not items:
        if "lessons" in data:
            check.report(data.lines["lessons"], "'lessons' must be a non-empty list")
        return []
    lessons = []
    for item, line in zip(items, items.lines, strict=True):
        if not isinstance(item, Node):
            check.report(line, "each lesson must be a mapping")
            continue
        complete = check.fields(
            item, "lesson", {"slug", "title", "minutes"}, {"body", "quiz", "practice", "audio"}
        )
        slug = check.slug(item, "slug", "lesson")
        if slug in lesson_slugs:
            check.report(
                item.lines["slug"], f"duplicate lesson slug '{slug}' (also in {lesson_slugs[slug]})"
            )
            slug = None
        elif slug:
            lesson_slugs[slug] = check.name
        title = check.bilingual(item, "title", "lesson")
        minutes = check.integer(item, "minutes", "lesson", 1, 240)
        body = _load_body(check, folder, item, slug, cards)
        quiz = _load_quiz(check, item)
        practice = _load_practice(check, item, task_slugs, cards) if "practice" in item else None
        audio = _check_audio(check, folder, item) if "audio" in item else None
        if (
            complete
            and slug
            and title
            and minutes
            and body is not None
            and quiz is not None
            and (practice is not None or "practice" not in item)
            and (audio is not None or "audio" not in item)
        ):
            body_file = folder / (item.get("body") or f"{slug}.md")
            lessons.append(LessonSpec(slug, title, minutes, body, quiz, practice, audio, body_file))
    return lessons if len(lessons) == len(items) else []


def _check_audio(check: Checker, folder: Path, item: Node) -> str | None:
    """The lesson's recording, if it names a small audio file of the course's audio/ folder."""
    name, line = item.get("audio"), check.line_of(item, "audio")
    if not isinstance(name, str) or not AUDIO_FILE.match(name):
        check.report(
            line, f"lesson audio must be an .opus/.ogg/.m4a/.aac file in audio/, got {name!r}"
        )
        return None
    path = folder / name
    if not path.is_file():
        check.report(line, f"lesson audio file '{name}' is missing")
        return None
    if path.stat().st_size > MAX_AUDIO_BYTES:
        check.report(
            line,
            f"lesson audio '{name}' is {path.stat().st_size // 1024} KB; "
            f"the limit is {MAX_AUDIO_BYTES // 1024} KB",
        )
        return None
    return name


def _load_body(check: Checker, folder: Path, item: Node, slug: str | None, cards) -> str | None:
    name = item.get("body") or (f"{slug}.md" if slug else None)
    if name is None:
        return None
    line = check.line_of(item, "body")
    path = folder / name
    if not isinstance(name, str) or not name.endswith(".md") or path.parent != folder:
        check.report(line, f"lesson body must be a .md file in the course folder, got {name!r}")
        return None
    if not path.is_file():
        check.report(line, f"lesson body file '{name}' is missing")
        return None
    body = path.read_text(encoding="utf-8").strip()
    md = Checker(path, check.root, check.problems)
    if not body:
        md.report(1, "lesson text is empty")
        return None
    unsafe, images, _ = found = lesson_markdown.inspect(body)
    report_markdown(md, body, found, cards, pictures="the course's img/ folder")
    for image in images:
        image_path = folder / image
        image_line = _line_containing(body, image)
        if not image_path.is_file():
            md.report(image_line, f"image '{image}' is missing")
        elif image_path.stat().st_size > MAX_IMAGE_BYTES:
            md.report(
                image_line,
                f"image '{image}' is {image_path.stat().st_size // 1024} KB; "
                f"the limit is {MAX_IMAGE_BYTES // 1024} KB",
            )
        elif image_path.suffix == ".svg":
            for problem in svgcheck.problems(image_path.read_bytes()):
                md.report(image_line, f"image '{image}': {problem}")
    return body if not unsafe else None


def report_markdown(md: Checker, body: str, found, cards: set[str], *, pictures: str) -> None:
    """Report, at their lines of `body`, the unsafe constructs and the `card:` links naming no
    card that `lesson_markdown.inspect` found; `pictures` says where pictures may come from."""
    for construct in found.unsafe:
        if construct.startswith("<img src="):
            message = (
                f"picture {construct[9:-1]} must be a .jpg/.png/.webp/.svg file in {pictures} "
                "(nothing is loaded from outside the server)"
            )
        else:
            message = f"unsafe HTML {construct}: use plain Markdown"
        md.report(_line_containing(body, construct), message)
    for slug in found.cards:
        if slug not in cards and slug != lesson_markdown.CARD_INDEX:
            md.report(_line_containing(body, f"'card:{slug}'"), unknown_card(slug, cards))


def unknown_card(slug: str, cards: set[str]) -> str:
    known = ", ".join(sorted(cards)) or "none"
    return f"unknown platform card 'card:{slug}' (platforms.yaml has: {known}; or card:index)"


def _line_containing(text: str, construct: str) -> int:
    """The line of `text` a reported construct came from: by its quoted value, else its tag."""
    quoted = re.search(r"'([^']+)'", construct)
    needle = quoted.group(1) if quoted else re.sub(r"^<(\w+).*", r"<\1", construct)
    for number, line in enumerate(text.splitlines(), start=1):
        if needle.lower() in line.lower():
            return number
    return 1


def _load_quiz(check: Checker, lesson: Node) -> list[QuizSpec] | None:
    items = lesson.get("quiz", Seq())
    if not isinstance(items, Seq):
        check.report(check.line_of(lesson, "quiz"), "'quiz' must be a list")
        return None
    quiz, slugs, ok = [], set(), True
    for item, line in zip(items, items.lines, strict=True):
        if not isinstance(item, Node):
            check.report(line, "each quiz item must be a mapping")
            ok = False
            continue
        spec = _load_quiz_item(check, item)
        if spec and spec.slug in slugs:
            check.report(item.lines["slug"], f"duplicate quiz slug '{spec.slug}' in this lesson")
            spec = None
        if spec:
            slugs.add(spec.slug)
            quiz.append(spec)
        else:
            ok = False
    return quiz if ok else None


def _load_quiz_item(check: Checker, item: Node) -> QuizSpec | None:
    kind = item.get("type")
    needs_options = kind in (QuizKind.SINGLE, QuizKind.MULTIPLE)
    complete = check.fields(
        item,
        "quiz item",
        {"slug", "type", "question", "answer", "explanation"}
        | ({"options"} if needs_options else set()),
        {"options"} if kind != QuizKind.TRUE_FALSE else set(),
    )
    slug = check.slug(item, "slug", "quiz item")
    question = check.text(item, "question", "quiz item")
    explanation = check.text(item, "explanation", "quiz item")
    if kind not in set(QuizKind):
        check.report(
            check.line_of(item, "type"),
            f"quiz type must be single, multiple or true_false, got {kind!r}",
        )
        return None
    answer_line = check.line_of(item, "answer")
    answer = item.get("answer")
    if kind == QuizKind.TRUE_FALSE:
        if "options" in item:
            check.report(item.lines["options"], "a true_false item has no options")
        if not isinstance(answer, bool):
            check.report(answer_line, "a true_false item needs 'answer: true' or 'answer: false'")
            return None
        options, indexes = [], [1 if answer else 0]
    else:
        options = item.get("options")
        if (
            not isinstance(options, list)
            or not 2 <= len(options) <= 6
            or not all(isinstance(o, str | int | float) and str(o).strip() for o in options)
        ):
            check.report(check.line_of(item, "options"), "options must be a list of 2 to 6 texts")
            return None
        options = [str(o).strip() for o in options]
        letters = answer if isinstance(answer, list) else [answer]
        if "answer" not in item:
            return None
        if not letters or any(
            not isinstance(a, str) or a not in LETTERS[: len(options)] for a in letters
        ):
            check.report(
                answer_line,
                f"answer must name the correct option(s) with letters "
                f"{LETTERS[0]}–{LETTERS[len(options) - 1]}",
            )
            return None
        indexes = sorted({LETTERS.index(a) for a in letters})
        if kind == QuizKind.SINGLE and (len(indexes) != 1 or isinstance(answer, list)):
            check.report(answer_line, "a single-choice item has exactly one correct letter")
            return None
        if kind == QuizKind.MULTIPLE and not isinstance(answer, list):
            check.report(answer_line, "a multiple-choice item lists its correct letters: [A, C]")
            return None
    if not (complete and slug and question and explanation):
        return None
    return QuizSpec(slug, str(kind), question, options, indexes, explanation, check.name, item.line)


def _load_practice(check: Checker, lesson: Node, task_slugs: dict[str, str], cards: set[str]):
    item = lesson["practice"]
    if not isinstance(item, Node):
        check.report(lesson.lines["practice"], "'practice' must be a mapping")
        return None
    complete = check.fields(
        item, "practice task", {"slug", "kind", "title", "instructions", "record"}
    )
    slug = check.slug(item, "slug", "practice task")
    if slug in task_slugs:
        check.report(
            item.lines["slug"],
            f"duplicate practice task slug '{slug}' (also in {task_slugs[slug]})",
        )
        slug = None
    elif slug:
        task_slugs[slug] = check.name
    kind = item.get("kind")
    if kind not in set(PracticeKind):
        check.report(
            check.line_of(item, "kind"),
            f"practice kind must be one of {', '.join(PracticeKind)}, got {kind!r}",
        )
        kind = None
    title = check.bilingual(item, "title", "practice task")
    instructions = check.text(item, "instructions", "practice task")
    record = check.text(item, "record", "practice task")
    for key, text in (("instructions", instructions), ("record", record)):
        if text:
            found = lesson_markdown.inspect(text)
            for construct in found.unsafe:
                check.report(item.lines[key], f"unsafe HTML {construct} in '{key}'")
            for card in found.cards:
                if card not in cards and card != lesson_markdown.CARD_INDEX:
                    check.report(item.lines[key], f"{unknown_card(card, cards)} in '{key}'")
    if complete and slug and kind and title and instructions and record:
        return PracticeSpec(slug, kind, title, instructions, record)
    return None
