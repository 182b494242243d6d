"""Background jobs through the lead's pages: a large roster imported by a job, its progress page
without JavaScript, a second confirm, a failure; a large export as a job whose file only its
owner downloads; kept files swept when they expire and removed when a trainee is erased."""

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms import jobs
from lms.clock import local_today, utcnow
from lms.db import db
from lms.jobs import exports as big_exports
from lms.jobs import kept, tick
from lms.jobs.runner import THREADS
from lms.models import (
    AuditEvent,
    ConsentRecord,
    Enrollment,
    Job,
    JobState,
    Programme,
    Role,
    User,
)
from lms.services import audit, files
from lms.services.roster import preview as roster_preview
from tests.conftest import serving
from tests.factories import enroll, make_cohort, make_programme, make_user
from tests.test_concurrency import Client, N, at_once, no_server_errors
from tests.views.test_lead import hidden, roster_csv

TODAY = local_today()


@pytest.fixture(autouse=True)
def _jobs_done():
    yield
    assert THREADS.wait_all(), "a job of this process is still running"


@pytest.fixture
def scene(app):
    with app.app_context():
        lead, other_lead = make_user(Role.LEAD, name="林"), make_user(Role.LEAD, name="别人")
        admin = make_user(Role.ADMIN, name="管理员")
        mine, theirs = make_programme(lead, name="我的项目"), make_programme(other_lead)
        mine.villages = ["大坪村", "石门村"]
        cohort = make_cohort(mine, name="第一期", starts_on=TODAY - timedelta(days=60))
        quiet = [make_user(name=f"王秀兰{i}") for i in range(3)]  # overdue and stalled
        for trainee in quiet:
            enroll(trainee, cohort)
        for _ in range(3):
            audit.record(lead, "programme.updated", mine)
        db.session.commit()
        return {
            "lead": lead,
            "other_lead": other_lead,
            "admin": admin,
            "mine": mine.id,
            "theirs": theirs.id,
            "cohort": cohort.id,
            "trainees": quiet,
        }


def people(n: int) -> list[str]:
    return [f"学员{i},1350000{i:04d},女,1980,石门村,普通农户,1,0,茶,第一期" for i in range(n)]


def confirm_form(client, programme_id: int, rows: list[str]) -> dict:
    page = client.post(
        f"/lead/programmes/{programme_id}/roster",
        data={"file": (io.BytesIO(roster_csv(*rows)), "名单.csv")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "按“导入”以后在后台导入" in page
    return {"token": hidden(page, "token"), "digest": hidden(page, "digest"), "consent": "y"}


def job_of(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.fullmatch(r"/lead/programmes/\d+/jobs/(\d+)", response.headers["Location"])[1])


def test_a_large_roster_is_imported_by_a_job_and_a_second_confirm_adds_nothing(app, scene, login):
    client = login(scene["lead"])
    mine = scene["mine"]
    form = confirm_form(client, mine, people(1000))
    job_id = job_of(client.post(f"/lead/programmes/{mine}/roster/import", data=form))
    again = client.post(f"/lead/programmes/{mine}/roster/import", data=form)
    assert again.status_code == 302  # to the same job, or (if it is done) "already imported"
    if "/jobs/" in again.headers["Location"]:
        assert job_of(again) == job_id
    else:
        assert "已经导入或取消了" in client.get(again.headers["Location"]).get_data(as_text=True)
    assert jobs.wait(job_id)

    page = client.get(f"/lead/programmes/{mine}/jobs/{job_id}")
    html = page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"  # initial passwords
    assert 'http-equiv="refresh"' not in html
    assert "导入完成" in html and "新学员 1000，更新 0，不变 0。" in html
    passwords = re.findall(r"<td>(135\d{8})</td><td><strong>(\d{8})</strong></td>", html)
    assert len(passwords) == 1000
    with app.app_context():
        phones = [f"1350000{i:04d}" for i in range(1000)]
        new = select(User.id).where(User.phone.in_(phones), User.role == Role.TRAINEE)
        assert db.session.scalar(select(func.count()).select_from(new.subquery())) == 1000
        enrolled = select(func.count(Enrollment.id)).where(Enrollment.trainee_id.in_(new))
        assert db.session.scalar(enrolled) == 1000
        consents = select(func.count(ConsentRecord.id)).where(ConsentRecord.trainee_id.in_(new))
        assert db.session.scalar(consents) == 1000
        assert db.session.scalar(select(func.count(Job.id))) == 1
        imported = select(AuditEvent).where(AuditEvent.action == "roster.imported")
        assert [e.details["created"] for e in db.session.scalars(imported)] == [1000]
        assert not (files.folder("rosters") / f"{mine}-{form['token']}").exists()
        sheet = files.folder(kept.FOLDER) / db.session.get(Job, job_id).file
    phone, password = passwords[0]
    fresh = app.test_client()
    assert fresh.post("/login", data={"phone": phone, "password": password}).status_code == 302

    done = client.post(f"/lead/programmes/{mine}/jobs/{job_id}/forget")
    assert done.status_code == 302 and not sheet.exists()
    html = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "初始密码已经删除了" in html and password not in html


def test_the_progress_page_refreshes_itself_without_javascript(app, scene, login):
    with app.app_context():
        lead = db.session.get(User, scene["lead"].id)
        running = Job(
            kind="roster.import",
            owner_id=lead.id,
            programme_id=scene["mine"],
            state=JobState.RUNNING,
            progress_done=1200,
            progress_total=5000,
            started_at=utcnow(),
        )
        queued = Job(kind="export", owner_id=lead.id, programme_id=scene["mine"])
        queued.args = {"table": "needs", "fmt": "csv"}
        db.session.add_all([running, queued])
        db.session.commit()
    client = login(scene["lead"])
    html = client.get(f"/lead/programmes/{scene['mine']}/jobs/{running.id}").get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="3">' in html
    assert "已处理 1,200 / 5,000 行" in html
    assert '<progress class="bar" value="1200" max="5000">' in html
    assert f'href="/lead/programmes/{scene["mine"]}/jobs/{running.id}">刷新</a>' in html
    assert "<script>" not in html and "style=" not in html
    html = client.get(f"/lead/programmes/{scene['mine']}/jobs/{queued.id}").get_data(as_text=True)
    assert "导出：需要跟进的学员" in html and "排队中" in html and 'http-equiv="refresh"' in html


def test_a_failed_roster_job_says_why_and_imports_nothing(app, scene, login):
    programme = scene["mine"]
    with app.app_context():
        name = f"{programme}-{'b' * 32}.csv"
        staged = files.folder("rosters") / name
        staged.write_bytes(roster_csv(*people(2)))
        job = jobs.enqueue(  # as the confirm step would, had a trainee changed since the preview
            "roster.import",
            owner=db.session.get(User, scene["lead"].id),
            programme=db.session.get(Programme, programme),
            file=name,
            digest="not-what-the-file-gives",
            confirmed=[],
        )
        db.session.commit()
        assert jobs.wait(job.id)
        users = db.session.scalar(select(func.count(User.id)))
    html = login(scene["lead"]).get(f"/lead/programmes/{programme}/jobs/{job.id}")
    html = html.get_data(as_text=True)
    assert "预览之后，名单上有学员的信息变了。一行也没有导入" in html
    assert f'href="/lead/programmes/{programme}/roster"' in html  # upload it again
    assert not staged.exists()
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == users
        assert db.session.get(Job, job.id).error == "roster_changed"


@pytest.fixture
def small_threshold(monkeypatch):
    """Exports of more than one row become jobs (the real threshold is 5,000 rows)."""
    monkeypatch.setattr(big_exports, "EXPORT_JOB_ROWS", 1)
    return monkeypatch


def test_a_large_export_is_a_job_whose_file_only_its_owner_downloads(
    app, scene, login, small_threshold
):
    mine = scene["mine"]
    client = login(scene["lead"])
    for url, key in [
        (f"/lead/programmes/{mine}/needs.csv?why=overdue&ignored=x", "needs"),
        (f"/lead/programmes/{mine}/needs.xlsx", "needs"),
        (f"/lead/programmes/{mine}/audit.csv", "audit"),
    ]:
        job_id = job_of(client.get(url))
        assert jobs.wait(job_id)
        page = client.get(f"/lead/programmes/{mine}/jobs/{job_id}").get_data(as_text=True)
        assert "文件做好了" in page
        download = client.get(f"/lead/programmes/{mine}/jobs/{job_id}/file")
        body = download.data
        download.close()
        assert download.status_code == 200 and download.headers["Cache-Control"] == "no-store"
        assert download.headers["Content-Disposition"].startswith("attachment")
        small_threshold.setattr(big_exports, "EXPORT_JOB_ROWS", 5000)
        immediate = client.get(url)
        small_threshold.setattr(big_exports, "EXPORT_JOB_ROWS", 1)
        assert immediate.status_code == 200
        if url.endswith(".xlsx"):
            assert download.mimetype == immediate.mimetype and body[:2] == b"PK"
        else:
            assert body == immediate.data and download.mimetype == immediate.mimetype
            assert "王秀兰0" in body.decode("utf-8-sig") or key == "audit"
        with app.app_context():
            stored = db.session.get(Job, job_id)
            assert stored.args["table"] == key and "ignored" not in stored.args["query"]

    other = login(scene["other_lead"], target=app.test_client())
    admin = login(scene["admin"], target=app.test_client())
    theirs = scene["theirs"]
    for url in [
        f"/lead/programmes/{mine}/jobs/{job_id}",
        f"/lead/programmes/{mine}/jobs/{job_id}/file",
        f"/lead/programmes/{theirs}/jobs/{job_id}",
        f"/lead/programmes/{theirs}/jobs/{job_id}/file",
    ]:
        assert other.get(url).status_code == 404, url
    assert other.post(f"/lead/programmes/{mine}/jobs/{job_id}/forget").status_code == 404
    page = admin.get(f"/lead/programmes/{mine}/jobs/{job_id}")
    assert page.status_code == 200 and "只有导出的人能下载这份文件。" in page.get_data(as_text=True)
    assert admin.get(f"/lead/programmes/{mine}/jobs/{job_id}/file").status_code == 404


def test_kept_files_expire_and_erasure_removes_those_of_the_trainees_programmes(
    app, scene, login, small_threshold
):
    mine = scene["mine"]
    client = login(scene["lead"])
    first = job_of(client.get(f"/lead/programmes/{mine}/needs.csv"))
    assert jobs.wait(first)
    with app.app_context():
        job = db.session.get(Job, first)
        path = files.folder(kept.FOLDER) / job.file
        other_lead = db.session.get(User, scene["other_lead"].id)
        elsewhere = Job(
            kind="export", owner_id=other_lead.id, programme_id=scene["theirs"], args={}
        )
        running = Job(kind="export", owner_id=job.owner_id, programme_id=mine, args={})
        running.state = JobState.RUNNING
        db.session.add_all([elsewhere, running])
        db.session.flush()
        elsewhere.file = kept.keep_file(elsewhere, b"their programme's export", "csv")
        elsewhere.expires_at = utcnow() + timedelta(days=3)
        db.session.commit()
        elsewhere_path = files.folder(kept.FOLDER) / elsewhere.file

        tick.tick(now=job.expires_at + timedelta(minutes=1))  # the hourly cron line
        db.session.commit()
        assert not path.exists() and db.session.get(Job, first).file is None
    page = client.get(f"/lead/programmes/{mine}/jobs/{first}").get_data(as_text=True)
    assert "这份文件已经删除了" in page
    assert client.get(f"/lead/programmes/{mine}/jobs/{first}/file").status_code == 404

    second = job_of(client.get(f"/lead/programmes/{mine}/needs.csv?why=stalled"))
    assert jobs.wait(second)
    with app.app_context():
        path = files.folder(kept.FOLDER) / db.session.get(Job, second).file
    assert path.exists() and elsewhere_path.exists()
    trainee = scene["trainees"][0]
    erased = client.post(
        f"/lead/programmes/{mine}/trainees/{trainee.id}/erase",
        data={"confirm": trainee.phone[-4:]},
    )
    assert erased.status_code == 302
    assert not path.exists()  # the export that holds the person is gone …
    assert elsewhere_path.exists()  # … another programme's is not theirs to touch
    with app.app_context():
        assert db.session.get(Job, second).file is None
        stopped = db.session.get(Job, running.id)
        assert (stopped.state, stopped.error) == (JobState.FAILED, "erased")


def test_a_large_roster_confirmed_by_eight_clients_at_once_is_one_job(app, scene):
    with app.app_context():
        programme = db.session.get(Programme, scene["mine"])
        data = roster_csv(*people(301))
        token = f"{'c' * 32}.csv"
        (files.folder("rosters") / f"{programme.id}-{token}").write_bytes(data)
        digest = roster_preview(programme, token, data).digest
    confirm = {"token": token, "digest": digest, "consent": "y"}
    path = f"/lead/programmes/{programme.id}/roster/import"
    with serving(app) as base:
        leads = [Client(base, scene["lead"]) for _ in range(N)]
        no_server_errors(at_once([lambda c=c: c.post(path, confirm) for c in leads]))
    with app.app_context():
        (job_id,) = db.session.scalars(select(Job.id)).all()
    assert jobs.wait(job_id)
    with app.app_context():
        assert db.session.get(Job, job_id).state is JobState.DONE
        trainees = select(func.count(User.id)).where(User.phone.like("1350000%"))
        assert db.session.scalar(trainees) == 301
