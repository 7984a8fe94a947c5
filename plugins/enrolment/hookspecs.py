"""Hooks the academy (enrolment) plugin offers to other plugins."""
from incubator.hookspecs import hookspec


@hookspec
def incubator_enrolment_completed(enrolment):
    """Called **once per completion**, after the transaction that marked the enrolment `completed` has
    been committed (by attendance that meets the course's rule, or by 结业评定), only on plugins
    enabled for the offering's park. `enrolment` is the `plugins.enrolment.models.Enrolment`:

    - `.id`, `.user` (a core `User`: `.username`, `.name`, `.display_name`, `.organization`),
    - `.offering` (`.id`, `.park_id`, `.park` — a core `Park` —, `.title`, `.display_title`,
      `.course` with `.code`, `.title`, `.hours` and the completion rule: `.min_attendance`,
      `.completion_note`, `.completion_assessment` — `True` where the rule includes an assessment),
    - `.hours` (学时 earned, a `Decimal`), `.completed_at` (naive UTC `datetime`).

    Return value: ignored. Runs outside the completion's transaction: commit what you write. An
    exception is logged and rolled back; it does not undo the completion or stop other
    implementations of later completions.

    ```python
    from incubator import hookimpl

    @hookimpl
    def incubator_enrolment_completed(enrolment):
        from myplugin.services import issue_certificate
        issue_certificate(user=enrolment.user, title=enrolment.offering.course.title,
                          hours=enrolment.hours, park=enrolment.offering.park,
                          completed_on=enrolment.completed_at.date())
    ```
    """
