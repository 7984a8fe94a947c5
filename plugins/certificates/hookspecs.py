"""Hooks the certificates plugin offers to other plugins (documented in docs/certificates.md)."""
from incubator.hookspecs import hookspec


@hookspec(firstresult=True)
def incubator_certificate_completions(offering_id):
    """**Provider hook (firstresult)** — the academy (enrolment) plugin implements it. Called when a
    manager batch-issues an offering's certificates (page, API, CLI, and the worker running the job),
    and in the worker issuing the completions a request deferred (more than a few at once).
    Return the **completed** enrolments of offering `offering_id` (a list; `[]` if nobody has completed
    yet), or `None` if the offering is unknown (→ 404). Each item needs the attributes the
    `incubator_enrolment_completed` hook passes: `.id`, `.user` (core `User`), `.offering` (`.id`,
    `.park_id`, `.park`, `.course` with `.code`, `.title`, `.hours`, and optionally `start_date`/
    `end_date` or `.sessions` with dates, and `.completion_assessment` — `True` where the course's rule
    includes an assessment), `.hours`, `.completed_at`.

    ```python
    from incubator import hookimpl

    @hookimpl
    def incubator_certificate_completions(offering_id):
        from .models import Enrolment, Offering
        if db.session.get(Offering, offering_id) is None:
            return None
        return db.session.scalars(select(Enrolment).where(
            Enrolment.offering_id == offering_id, Enrolment.status == "completed")).all()
    ```
    """


@hookspec(firstresult=True)
def incubator_certificate_template(kind, park):
    """**Provider hook (firstresult)**, called at issue on plugins enabled for the issuing `park`; `kind`
    is `"completion"` or `"graduation"`. Return the Jinja source of the template (see *Templates*), or
    None to fall through to the park's template file and then the default. Example — a street's own
    plugin (a single file in `INCUBATOR_PLUGINS_DIR`, enabled for 万年埠街道 and its communities):

    ```python
    from incubator import hookimpl

    @hookimpl
    def incubator_certificate_template(kind, park):
        if kind == "completion":
            return ('{% extends "completion.html" %}'
                    '{% block issuer %}万年埠街道办事处{% endblock %}'
                    '{% block academy %}万年埠街道社区学院{% endblock %}')
    ```
    """
