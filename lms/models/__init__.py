"""All models, imported here so Alembic and the app see every table."""

from lms.models.audit import AuditEvent
from lms.models.curriculum import (
    Course,
    Dimension,
    Lesson,
    PracticeKind,
    PracticeTask,
    QuizItem,
    QuizKind,
    Rung,
    RungPracticeRequirement,
    Tier,
)
from lms.models.facts import (
    ActivityMonth,
    PracticeWindow,
    ProgrammeFacts,
    TierFacts,
    TraineeFacts,
)
from lms.models.followup import (
    FollowUpVisit,
    Observation,
    Outcome,
    OutcomeKind,
    ProblemTag,
    PromotionKind,
    RungPromotion,
    VisitMode,
)
from lms.models.jobs import Job, JobState
from lms.models.people import (
    ConsentGiver,
    ConsentRecord,
    Gender,
    HouseholdCategory,
    Role,
    TraineeProfile,
    User,
)
from lms.models.practice import LIVE_STATUSES, Channel, PracticeRecord, RecordStatus
from lms.models.programme import Cohort, Enrollment, MentorAssignment, Programme
from lms.models.progress import CourseCompletion, LessonProgress, QuizAttempt

__all__ = [
    "TraineeFacts",
    "ProgrammeFacts",
    "TierFacts",
    "PracticeWindow",
    "ActivityMonth",
    "FollowUpVisit",
    "Observation",
    "Outcome",
    "OutcomeKind",
    "ProblemTag",
    "PromotionKind",
    "RungPromotion",
    "VisitMode",
    "Channel",
    "LIVE_STATUSES",
    "CourseCompletion",
    "LessonProgress",
    "PracticeRecord",
    "QuizAttempt",
    "RecordStatus",
    "Course",
    "Dimension",
    "Lesson",
    "PracticeKind",
    "PracticeTask",
    "QuizItem",
    "QuizKind",
    "Rung",
    "RungPracticeRequirement",
    "Tier",
    "AuditEvent",
    "Job",
    "JobState",
    "Cohort",
    "ConsentGiver",
    "ConsentRecord",
    "Enrollment",
    "Gender",
    "HouseholdCategory",
    "MentorAssignment",
    "Programme",
    "Role",
    "TraineeProfile",
    "User",
]
