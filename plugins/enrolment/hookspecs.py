"""Hooks the academy (enrolment) plugin offers to other plugins."""
from incubator.hookspecs import hookspec


@hookspec
def incubator_enrolment_completed(enrolment):
    """After an enrolment has been marked completed and committed.

    `enrolment` is the `plugins.enrolment.models.Enrolment` (with `.user`, `.offering`,
    `.offering.course`, `.hours`, `.completed_at`); the course carries its completion rule
    (`.min_attendance`, `.completion_note`, `.completion_assessment`: True where the rule includes an
    assessment, 结业考核). Called once per completion, on plugins enabled for the offering's park.
    Runs after the commit: commit what you write. The certificates plugin implements it to issue a
    结业证书.
    """
