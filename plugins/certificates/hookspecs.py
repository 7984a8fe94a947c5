"""Hooks the certificates plugin offers to other plugins (documented in docs/certificates.md)."""
from incubator.hookspecs import hookspec


@hookspec(firstresult=True)
def incubator_certificate_completions(offering_id):
    """Return the completed enrolments of offering `offering_id`, for a batch issue (批量颁发).

    Provider hook, first non-None answer wins; the academy (enrolment) plugin implements it. Each
    item has the attributes `incubator_enrolment_completed` passes: `.id`, `.user` (`.id`,
    `.name`/`.display_name`), `.offering` (`.id`, `.park_id`, `.course` with `.code`, `.title`,
    `.hours`), `.hours`, `.completed_at`. Return None when the offering is unknown, [] when
    nobody has completed it yet.
    """


@hookspec(firstresult=True)
def incubator_certificate_template(kind, park):
    """Return the Jinja source of the certificate template for `kind` in `park`, or None for the default.

    `kind` is "completion" (结业证书) or "graduation" (出壳证书); `park` is the issuing `Park`.
    Called only on plugins enabled for that park, at issue; the source may
    `{% extends "completion.html" %}` (or "graduation.html", "base.html") and override blocks.
    Template files in `<instance>/certificate_templates/<park code>/<kind>.html` come next; a park
    without either inherits its parent park's.
    """
