"""The new parts of the curriculum format, checked with file and line: a rung's routes, the
tracks file, and that every course is named by a rung or a track."""

from pathlib import Path

from tests.services.test_curriculum_files import edit, line_of, problems, tree  # noqa: F401

RUNG5 = """  - {level: 5, name: {zh: 五, en: Five}, description: {zh: 五级, en: Rung five}}"""
ROUTES = """  - level: 5
    name: {zh: 五, en: Five}
    description: {zh: 五级, en: Rung five}
    requires:
      practice:
        - {kinds: [sale], count: 5, within_days: 365}
      routes:
        - slug: group
          name: {zh: 微信群, en: WeChat group}
          practice:
            - {kinds: [sale], count: 3, channels: [wechat_group]}
        - slug: live
          name: {zh: 直播, en: Livestream}
          courses: [selling]
"""


def with_routes(root: Path, routes: str = ROUTES) -> None:
    edit(root / "ladder.yaml", RUNG5 + "\n", routes)


def test_routes_are_valid_and_their_mistakes_have_a_line(tree):  # noqa: F811
    with_routes(tree)
    assert problems(tree) == []
    with_routes_bad = (
        ROUTES.replace("channels: [wechat_group]", "channels: [wechat_grop]")
        .replace("courses: [selling]", "courses: [selling, nope]")
        .replace("slug: live", "slug: group")
    )
    edit(tree / "ladder.yaml", ROUTES, with_routes_bad)
    ladder = tree / "ladder.yaml"
    found = problems(tree)
    assert (
        f"curricula/ladder.yaml:{line_of(ladder, 'wechat_grop')}: 'channels' must list"
        in (found[0][: found[0].index("list") + 4])
    )
    assert f"curricula/ladder.yaml:{line_of(ladder, 'nope')}: unknown course 'nope'" in "\n".join(
        found
    )
    assert any("duplicate route slug 'group'" in p for p in found)


def test_a_route_needs_something_of_its_own(tree):  # noqa: F811
    with_routes(tree, ROUTES.replace("          courses: [selling]\n", ""))
    ladder = tree / "ladder.yaml"
    assert problems(tree) == [
        f"curricula/ladder.yaml:{line_of(ladder, 'slug: live')}: "
        "a route needs its own 'courses' or 'practice'"
    ]


def test_track_mistakes_are_reported_with_their_line(tree):  # noqa: F811
    with_routes(tree)
    tracks = tree / "tracks.yaml"
    edit(tracks, "kind: product", "kind: fruit")
    edit(
        tracks,
        "    recommends: [basics]\n",
        "    recommends: [basics, bascis]\n"
        "    rungs:\n"
        "      - level: 5\n"
        "        route: shop\n"
        "        replace: {basics: selling}\n",
    )
    assert problems(tree) == [
        f"curricula/tracks.yaml:{line_of(tracks, 'kind:')}: "
        "track 'kind' must be one of product, role",
        f"curricula/tracks.yaml:{line_of(tracks, 'bascis')}: unknown course 'bascis' in the track",
        f"curricula/tracks.yaml:{line_of(tracks, 'route: shop')}: "
        "rung 5 has no route 'shop' (routes: group, live)",
        f"curricula/tracks.yaml:{line_of(tracks, 'replace:')}: "
        "rung 5 does not ask for course 'basics': nothing to replace",
    ]


def test_a_course_no_rung_and_no_track_names_is_reported(tree):  # noqa: F811
    edit(tree / "tracks.yaml", "recommends: [basics]", "recommends: [selling]")
    edit(tree / "ladder.yaml", "courses: [basics]", "courses: [selling]")
    edit(tree / "ladder.yaml", "courses: [selling]\n      practice", "practice")
    course = tree / "courses" / "basics" / "course.yaml"
    assert problems(tree) == [
        f"curricula/courses/basics/course.yaml:{line_of(course, 'slug: basics')}: course 'basics' "
        "is named by no rung (ladder.yaml) and no track (tracks.yaml)"
    ]


def test_the_tracks_file_is_optional(tree):  # noqa: F811
    (tree / "tracks.yaml").unlink()
    assert problems(tree) == []
