"""A trainee's log / edit / delete and resends, interleaved with a mentor's verify / reject /
visit / sign-off on the same records, through the real app (views, forms, database, files).

After every step: no 5xx; every verified record holds exactly the values its mentor saw when
verifying; each sign-off step stored at most once; no file outside staging without a record,
no record without its file.
"""

import io
from datetime import timedelta

from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from PIL import Image
from sqlalchemy import func, select

from lms.clock import local_today
from lms.db import db, new_uuid
from lms.models import (
    Course,
    CourseCompletion,
    Dimension,
    FollowUpVisit,
    PracticeRecord,
    RecordStatus,
    Role,
    RungPromotion,
)
from lms.services import files, signoff
from tests.conftest import PASSWORD, empty_tables
from tests.factories import assign, enroll, make_cohort, make_programme, make_user

TODAY = local_today()
CONTENT = ("kind", "happened_on", "channel", "product", "quantity", "unit", "amount_fen", "note")
AMOUNTS = st.sampled_from(["10", "45.50", "99999"])
PRODUCTS = st.sampled_from(["土鸡蛋", "高山茶"])


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, "PNG")
    return out.getvalue()


def content(record: PracticeRecord) -> tuple:
    return tuple(getattr(record, f) for f in CONTENT) + (record.photo,)


class Records(RuleBasedStateMachine):
    app = None  # set by the test

    def __init__(self):
        super().__init__()
        app = self.app
        empty_tables(app)
        for folder in ("staging", "practice"):
            with app.app_context():
                for path in files.folder(folder).iterdir():
                    path.unlink()
        with app.app_context():
            self.mentor = make_user(Role.MENTOR)
            self.trainee = make_user(name="甲")
            self.trainee.profile.baseline_rung = 3
            cohort = make_cohort(make_programme(), starts_on=TODAY - timedelta(days=30))
            enroll(self.trainee, cohort)
            assign(self.mentor, cohort=cohort, starts_on=TODAY - timedelta(days=30))
            for course in db.session.scalars(select(Course)):
                db.session.add(CourseCompletion(trainee_id=self.trainee.id, course_id=course.id))
            db.session.commit()
        self.me, self.mentor_client = app.test_client(), app.test_client()
        for client, user in ((self.me, self.trainee), (self.mentor_client, self.mentor)):
            response = client.post("/login", data={"phone": user.phone, "password": PASSWORD})
            assert response.status_code == 302
        self.sent: list[tuple[str, dict]] = []  # (uuid, form) of every log, to resend
        self.trainee_saw: dict[int, int] = {}  # record id → version on the trainee's page
        self.mentor_saw: dict[int, tuple] = {}  # record id → (version, content) on the mentor's
        self.verified_as: dict[int, tuple] = {}  # record id → content its mentor verified
        self.signoff_forms: list[dict] = []  # sign-off forms as shown, to submit (again)
        self.steps_signed: set[int] = set()

    # --- helpers -------------------------------------------------------------------------

    def post(self, client, url, data, **kwargs):
        response = client.post(url, data=data, **kwargs)
        assert response.status_code < 500, (url, response.status_code)
        return response

    def records(self) -> list[PracticeRecord]:
        with self.app.app_context():
            return list(db.session.scalars(select(PracticeRecord).order_by(PracticeRecord.id)))

    # --- the trainee ---------------------------------------------------------------------

    @rule(amount=AMOUNTS, product=PRODUCTS, photo=st.booleans(), another=st.booleans())
    def log(self, amount, product, photo, another):
        form = {
            "uuid": new_uuid(),
            "kind": "sale",
            "happened_on": TODAY.isoformat(),
            "channel": "wechat_group",
            "product": product,
            "quantity": "3",
            "unit": "斤",
            "amount": amount,
            **({"another": "1"} if another else {}),
        }
        self.sent.append((form["uuid"], form))
        data = {**form, **({"photo": (io.BytesIO(png()), "p.png")} if photo else {})}
        self.post(self.me, "/learn/practice/new", data, content_type="multipart/form-data")

    @precondition(lambda self: self.sent)
    @rule(index=st.integers(min_value=0), amount=st.one_of(st.none(), AMOUNTS))
    def resend(self, index, amount):
        """The same form again (a retry, a double tap), or changed (an edit from the outbox)."""
        uuid, form = self.sent[index % len(self.sent)]
        before = self.records()
        self.post(
            self.me, "/learn/practice/new", {**form, **({"amount": amount} if amount else {})}
        )
        if any(r.uuid == uuid for r in before):  # a uuid already stored never adds a row
            assert len(self.records()) == len(before)

    @rule()
    def trainee_opens_the_list(self):
        """The list shows every record; each edit or delete form carries its version."""
        self.trainee_saw = {r.id: r.version for r in self.records()}

    @precondition(lambda self: self.trainee_saw)
    @rule(index=st.integers(min_value=0), amount=AMOUNTS, photo=st.booleans())
    def edit(self, index, amount, photo):
        record_id = sorted(self.trainee_saw)[index % len(self.trainee_saw)]
        data = {
            "kind": "sale",
            "happened_on": TODAY.isoformat(),
            "channel": "douyin",
            "product": "改过的",
            "quantity": "2",
            "unit": "箱",
            "amount": amount,
            "version": str(self.trainee_saw[record_id]),
            **({"photo": (io.BytesIO(png()), "p.png")} if photo else {}),
        }
        self.post(
            self.me,
            f"/learn/practice/{record_id}/edit",
            data,
            content_type="multipart/form-data",
        )

    @precondition(lambda self: self.trainee_saw)
    @rule(index=st.integers(min_value=0))
    def delete(self, index):
        record_id = sorted(self.trainee_saw)[index % len(self.trainee_saw)]
        version = str(self.trainee_saw[record_id])
        self.post(self.me, f"/learn/practice/{record_id}/delete", {"version": version})

    # --- the mentor ----------------------------------------------------------------------

    @rule()
    def mentor_opens_the_caseload(self):
        """The mentor sees every record as it is now; each verify form carries its version."""
        self.mentor_saw = {r.id: (r.version, content(r)) for r in self.records()}

    @precondition(lambda self: self.mentor_saw)
    @rule(index=st.integers(min_value=0))
    def verify(self, index):
        record_id = sorted(self.mentor_saw)[index % len(self.mentor_saw)]
        version, seen = self.mentor_saw[record_id]
        was = {r.id: r.status for r in self.records()}[record_id]
        self.post(
            self.mentor_client, f"/mentor/records/{record_id}/verify", {"version": str(version)}
        )
        now = next(r for r in self.records() if r.id == record_id)
        if was is not RecordStatus.VERIFIED and now.status is RecordStatus.VERIFIED:
            self.verified_as[record_id] = seen

    @precondition(lambda self: self.mentor_saw)
    @rule(index=st.integers(min_value=0))
    def reject(self, index):
        record_id = sorted(self.mentor_saw)[index % len(self.mentor_saw)]
        version, _seen = self.mentor_saw[record_id]
        data = {"version": str(version), "reason": "照片看不清"}
        self.post(self.mentor_client, f"/mentor/records/{record_id}/reject", data)

    @rule()
    def visit(self):
        data = {
            "uuid": new_uuid(),
            "visited_on": TODAY.isoformat(),
            "mode": "phone",
            "another": "1",
            **{f"level_{d.value}": "with_help" for d in Dimension},
        }
        self.post(self.mentor_client, f"/mentor/trainees/{self.trainee.id}/visits/new", data)

    @rule()
    def open_signoff(self):
        with self.app.app_context():
            visit_id = db.session.scalar(
                select(FollowUpVisit.id).order_by(FollowUpVisit.id.desc()).limit(1)
            )
            step = signoff.next_step(self.trainee)
        if visit_id is not None:
            self.signoff_forms.append({"visit_id": visit_id, "step": str(step)})

    @precondition(lambda self: self.signoff_forms)
    @rule(index=st.integers(min_value=0))
    def sign_off(self, index):
        form = self.signoff_forms[index % len(self.signoff_forms)]
        self.post(self.mentor_client, f"/mentor/trainees/{self.trainee.id}/signoff", form)

    # --- what must hold after every step -------------------------------------------------

    @invariant()
    def verified_records_hold_what_their_mentor_saw(self):
        for record in self.records():
            if record.status is RecordStatus.VERIFIED:
                assert content(record) == self.verified_as[record.id]

    @invariant()
    def one_promotion_per_sign_off_step(self):
        with self.app.app_context():
            steps = db.session.scalars(select(RungPromotion.step)).all()
            count = db.session.scalar(select(func.count(RungPromotion.id)))
        assert count == len(set(steps)) == len(steps)
        assert sorted(steps) == list(range(1, len(steps) + 1))

    @invariant()
    def every_file_has_its_record_and_every_record_its_file(self):
        with self.app.app_context():
            named = {r.photo for r in self.records() if r.photo}
            stored = {p.name for p in files.folder("practice").iterdir()}
        assert stored == named


def test_records_stay_true_under_any_interleaving(app, mini_curriculum):
    """One fresh database per example (the machine empties it), under the loaded profile."""
    Records.app = app
    run_state_machine_as_test(Records)
