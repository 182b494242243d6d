"""Figures about the curriculum tree a trainer or reviewer asks for, from the files alone:

    .venv/bin/python scripts/curricula_figures.py [PATH]

lessons with pictures by tier; single-choice right-answer positions and how often the right option
is the longest; multiple-choice counts of right answers; the true/false split; and the heaviest
pictures. The limits these are held to are in curricula/README.md (`flask curricula check`
enforces them); this only reports. Page weight with pictures: bench/page_weight.py.
"""

import gzip
import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lms.services.curricula.files import load_tree  # noqa: E402
from lms.services.curricula.lessons import LETTERS  # noqa: E402

PICTURE = re.compile(r"!\[[^\]]*\]\((img/[^)\s]+)\)")


def share(counter: Counter, total: int) -> str:
    return ", ".join(f"{k} {n} ({n / total:.0%})" for k, n in sorted(counter.items()))


def main(root: Path) -> int:
    tree, problems = load_tree(root)
    if problems:
        print(f"{len(problems)} problems: run `flask --app wsgi curricula check` first")
        return 1
    tiers = [t.slug for t in tree.tiers]
    print("lessons with pictures, by tier:")
    pictures: list[tuple[int, str]] = []
    for tier in tiers:
        lessons = [(c, le) for c in tree.courses if c.tier == tier for le in c.lessons]
        pictured = [(c, le) for c, le in lessons if PICTURE.search(le.body)]
        n = sum(len(PICTURE.findall(le.body)) for _, le in lessons)
        print(f"  {tier:<20} {len(pictured):>3} of {len(lessons):>3} lessons, {n:>3} pictures")
        for course, lesson in pictured:
            files = [course.folder / name for name in PICTURE.findall(lesson.body)]
            gz = sum(len(gzip.compress(f.read_bytes(), 9)) for f in files)
            pictures.append((gz, f"{course.slug}/{lesson.slug}", len(files)))
    pictures.sort(reverse=True)
    for gz, where, n in pictures[:3]:
        print(f"  heaviest pictures: {where}: {n} pictures, {gz:,} bytes gzip")
    items = [q for c in tree.courses for le in c.lessons for q in le.quiz]
    single = [q for q in items if q.kind == "single"]
    multiple = [q for q in items if q.kind == "multiple"]
    true_false = [q for q in items if q.kind == "true_false"]
    print(
        f"quiz items: {len(items)} ({len(single)} single, {len(multiple)} multiple, "
        f"{len(true_false)} true/false)"
    )
    positions = Counter(LETTERS[q.answer[0]] for q in single)
    print(f"  single choice, right answer at: {share(positions, len(single))}")
    options = Counter(len(q.options) for q in single)
    print(f"  single choice, options per item: {share(options, len(single))}")
    varied = [q for q in single if len({len(o) for o in q.options}) > 1]
    longest = sum(len(q.options[q.answer[0]]) == max(map(len, q.options)) for q in varied)
    print(
        f"  single choice, right option the longest (or tied): {longest} of {len(varied)} "
        f"with options of different lengths ({longest / len(varied):.0%})"
    )
    if multiple:
        counts = Counter(f"{len(q.answer)} of {len(q.options)}" for q in multiple)
        print(f"  multiple choice, right answers: {share(counts, len(multiple))}")
        sets = Counter("".join(LETTERS[i] for i in q.answer) for q in multiple).most_common(3)
        print(f"  multiple choice, commonest right sets: {sets}")
    answers = Counter("true" if q.answer == [1] else "false" for q in true_false)
    print(f"  true/false: {share(answers, len(true_false))}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "curricula")))
