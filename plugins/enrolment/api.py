"""/api/v1/courses, /api/v1/offerings, /api/v1/enrolments, /api/v1/sessions: the academy's JSON API.

The catalogue and the offerings are readable by anyone; everything else needs a bearer token.
Times are ISO 8601 in UTC (a time with an offset is converted; one without is taken as UTC).
"""
import marshmallow as ma
from flask import abort, g, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import select

from incubator.api import BEARER
from incubator.api.auth import token_required
from incubator.api.schemas import PageQuerySchema, Reference, page_schema, paginated, paginated_list
from incubator.errors import ValidationError
from incubator.extensions import db
from incubator.markdown import render_markdown
from incubator.parks import services as parks
from incubator.permissions import can, require
from incubator.plugins import enabled_park_ids, require_enabled
from incubator.users.models import User

from . import PLUGIN, completion, services
from .imports import find_enrollable
from .models import ATTENDANCE, STATUSES, Enrolment, Offering, Session
from .schema import OfferingFields, UtcDateTime

courses_blp = Blueprint("api_courses", __name__, url_prefix="/courses", description="Course catalogue (课程目录)")
offerings_blp = Blueprint("api_offerings", __name__, url_prefix="/offerings",
                          description="Offerings (班次) of courses and enrolment into them")
enrolments_blp = Blueprint("api_enrolments", __name__, url_prefix="/enrolments",
                           description="Enrolments (报名): approve, reject, cancel, remove")
sessions_blp = Blueprint("api_sessions", __name__, url_prefix="/sessions", description="Sessions (课次) and attendance")
blueprints = [courses_blp, offerings_blp, enrolments_blp, sessions_blp]


# -- schemas ---------------------------------------------------------------------------------

class CourseSchema(ma.Schema):
    code = ma.fields.String()
    title = ma.fields.String()
    summary = ma.fields.String()
    category = ma.fields.String()
    hours = ma.fields.Float(metadata={"description": "学时"})
    audience = ma.fields.String()
    prerequisites = ma.fields.List(ma.fields.String(), attribute="prerequisite_codes")
    min_attendance = ma.fields.Integer(metadata={"description": "percentage of sessions to attend to complete"})
    completion_rule = ma.fields.String()
    completion_assessment = ma.fields.Boolean(metadata={"description": "the completion rule includes an assessment (结业考核)"})
    syllabus = ma.fields.String(metadata={"description": "Markdown"})
    syllabus_html = ma.fields.Function(lambda c: str(render_markdown(c.syllabus)),
                                       metadata={"description": "the syllabus rendered as safe HTML"})
    html_url = ma.fields.Function(lambda c: url_for("enrolment.course", code=c.code, _external=True))


class CourseQuerySchema(PageQuerySchema):
    q = ma.fields.String(load_default="")
    category = ma.fields.String(load_default="")


class SessionSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    starts_at = UtcDateTime(required=True)
    ends_at = UtcDateTime(required=True)
    topic = ma.fields.String(load_default="")


class OfferingSchema(OfferingFields):
    """OfferingFields (the rules the form and the service share), the course, park, instructor and
    sessions in their JSON shape, and what the offering keeps."""

    id = ma.fields.Integer(dump_only=True)
    course = Reference("course.code", required=True, metadata={"description": "course code"})
    course_title = ma.fields.Function(lambda o: o.course.title, dump_only=True)
    hours = ma.fields.Function(lambda o: float(o.course.hours), dump_only=True)
    park = Reference("park.code", required=True, metadata={"description": "park code"})
    instructor = Reference("instructor.username", allow_none=True, metadata={"description": "username of an expert"})
    starts_at = ma.fields.DateTime(dump_only=True, allow_none=True)
    sessions = ma.fields.List(ma.fields.Nested(SessionSchema), required=True)
    seats_taken = ma.fields.Method("_seats", dump_only=True)
    waitlisted = ma.fields.Method("_waitlisted", dump_only=True)
    html_url = ma.fields.Function(lambda o: url_for("enrolment.offering", offering_id=o.id, _external=True),
                                  dump_only=True)

    def _counts(self, offering):
        """A list fills `g.academy_counts` in one query; a single offering asks for its own."""
        cache = g.get("academy_counts") or {}
        if offering.id not in cache:
            return services.counts([offering.id]).get(offering.id, {})
        return cache[offering.id]

    def _seats(self, offering):
        return services.seats_taken(self._counts(offering))

    def _waitlisted(self, offering):
        return self._counts(offering).get("waitlisted", 0)


class OfferingPatchSchema(OfferingFields):
    """The same fields, each optional (loaded partial), and the instructor and sessions."""

    instructor = Reference(allow_none=True, metadata={"description": "username of an expert"})
    sessions = ma.fields.List(ma.fields.Nested(SessionSchema))


class OfferingQuerySchema(PageQuerySchema):
    park = Reference(load_default="", metadata={"description": "park code"})
    course = Reference(load_default="", metadata={"description": "course code"})
    upcoming = ma.fields.Boolean(load_default=False)


class AttendanceItemSchema(ma.Schema):
    session_id = ma.fields.Integer(dump_only=True)
    session_starts_at = ma.fields.Function(lambda a: a.session.starts_at.isoformat(), dump_only=True)
    status = ma.fields.String(validate=ma.validate.OneOf(list(ATTENDANCE)))


class EnrolmentSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    offering_id = ma.fields.Integer(dump_only=True)
    offering = ma.fields.Function(lambda e: e.offering.display_title, dump_only=True)
    username = ma.fields.Function(lambda e: e.user.username, dump_only=True)
    name = ma.fields.Function(lambda e: e.user.name, dump_only=True)
    status = ma.fields.String(dump_only=True, metadata={"enum": list(STATUSES)})
    status_label = ma.fields.String(dump_only=True)
    waitlist_position = ma.fields.Method("_position", dump_only=True, allow_none=True)
    promoted_at = ma.fields.DateTime(dump_only=True, allow_none=True)
    completed_at = ma.fields.DateTime(dump_only=True, allow_none=True)
    hours = ma.fields.Float(dump_only=True)
    created_at = ma.fields.DateTime(dump_only=True)
    attendance = ma.fields.List(ma.fields.Nested(AttendanceItemSchema), dump_only=True)

    def _position(self, enrolment):
        """A list fills `g.academy_positions` in one query; a single enrolment asks for its own."""
        cache = g.get("academy_positions")
        if cache is None:
            return services.waitlist_positions([enrolment]).get(enrolment.id)
        return cache.get(enrolment.id)


class EnrolRequestSchema(ma.Schema):
    username = Reference(load_default=None, allow_none=True, metadata={
        "description": "managers: enrol this person (username or phone); leave out to enrol yourself"})
    note = ma.fields.String(load_default="")


class NoteSchema(ma.Schema):
    note = ma.fields.String(load_default="")


class MarkSchema(ma.Schema):
    enrolment_id = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(list(ATTENDANCE)))


class AttendanceRequestSchema(ma.Schema):
    marks = ma.fields.List(ma.fields.Nested(MarkSchema), required=True, validate=ma.validate.Length(min=1))


class AttendanceRowSchema(ma.Schema):
    enrolment_id = ma.fields.Integer()
    username = ma.fields.String()
    name = ma.fields.String()
    status = ma.fields.String(allow_none=True)


class AttendanceResultSchema(ma.Schema):
    session = ma.fields.Nested(SessionSchema)
    rows = ma.fields.List(ma.fields.Nested(AttendanceRowSchema))
    completed = ma.fields.List(ma.fields.Integer(), metadata={"description": "enrolments completed by this save"})


CoursePageSchema = page_schema(CourseSchema, "CoursePage")
OfferingPageSchema = page_schema(OfferingSchema, "OfferingPage")
EnrolmentPageSchema = page_schema(EnrolmentSchema, "EnrolmentPage")


# -- helpers ---------------------------------------------------------------------------------

def _offering(offering_id: int, action: str | None = None) -> Offering:
    offering = db.session.get(Offering, offering_id)
    if offering is None:
        abort(404, description="班次不存在")
    require_enabled(PLUGIN, offering.park_id)
    if action and not can(action, offering):
        abort(403, description="无权操作该班次")
    return offering


def _enrolment(enrolment_id: int) -> Enrolment:
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None:
        abort(404, description="报名记录不存在")
    require_enabled(PLUGIN, enrolment.offering.park_id)
    return enrolment


def _with_positions(enrolments):
    g.academy_positions = services.waitlist_positions(enrolments)
    return enrolments


def _page_with_positions(enrolments, args):
    """A page of a list the roster's order decides (computed in Python, so paged in Python)."""
    page = paginated_list(enrolments, args)
    _with_positions(page["items"])
    return page


def _instructor(username):
    if not username:
        return None
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise ValidationError(_("没有用户名为 %(username)s 的账号", username=username), field="instructor")
    return user


def _sessions(items):
    return [(s["starts_at"], s["ends_at"], s.get("topic", "")) for s in items] if items is not None else None


# -- courses ---------------------------------------------------------------------------------

@courses_blp.route("")
@courses_blp.arguments(CourseQuerySchema, location="query")
@courses_blp.response(200, CoursePageSchema)
def list_courses(args):
    """The catalogue (courses still offered), by code."""
    return paginated(db.paginate(services.catalogue_query(args["q"], args["category"]), page=args["page"],
                                 per_page=args["per_page"], error_out=False))


@courses_blp.route("/<code>")
@courses_blp.response(200, CourseSchema)
def get_course(code):
    """One course by its code, with its syllabus (Markdown)."""
    course = services.course_by_code(code)
    if course is None or not course.active:
        abort(404, description=f"没有代码为 {code} 的课程")
    return course


# -- offerings -------------------------------------------------------------------------------

@offerings_blp.route("")
@offerings_blp.arguments(OfferingQuerySchema, location="query")
@offerings_blp.response(200, OfferingPageSchema)
def list_offerings(args):
    """Offerings in parks where the academy is enabled; filter by park code, course code, upcoming."""
    park_ids = enabled_park_ids(PLUGIN)
    if args["park"]:
        park = parks.by_code(args["park"])
        if park is None:
            raise ValidationError(_("园区不存在：%(park)s", park=args['park']), field="park")
        park_ids = [pid for pid in park_ids if pid == park.id]
    course_id = None
    if args["course"]:
        course = services.course_by_code(args["course"])
        if course is None:
            raise ValidationError(_("课程不存在：%(course)s", course=args['course']), field="course")
        course_id = course.id
    page = db.paginate(services.offerings_query(park_ids, course_id=course_id, upcoming=args["upcoming"]),
                       page=args["page"], per_page=args["per_page"], error_out=False)
    g.academy_counts = services.counts([o.id for o in page.items])
    return paginated(page)


@offerings_blp.route("", methods=["POST"])
@token_required
@offerings_blp.doc(security=[BEARER])
@offerings_blp.arguments(OfferingSchema)
@offerings_blp.response(201, OfferingSchema)
def create_offering(data):
    """Schedule an offering of a course in a park (park managers)."""
    park = parks.by_code(data["park"] or "")
    if park is None:
        raise ValidationError(_("园区不存在：%(park)s", park=data['park']), field="park")
    require_enabled(PLUGIN, park)
    if not can("academy.manage", park):
        abort(403, description="无权在该园区排班")
    course = services.course_by_code(data["course"] or "")
    if course is None:
        raise ValidationError(_("课程不存在：%(course)s", course=data['course']), field="course")
    values = {k: data[k] for k in services.OFFERING_FIELDS if k in data}
    values.update(course=course, park=park, instructor=_instructor(data.get("instructor")),
                  sessions=_sessions(data["sessions"]))
    return services.create_offering(values, user=current_user)


@offerings_blp.route("/<int:offering_id>")
@offerings_blp.response(200, OfferingSchema)
def get_offering(offering_id):
    """One offering, with its sessions and how many seats are taken."""
    return _offering(offering_id)


@offerings_blp.route("/<int:offering_id>", methods=["PATCH"])
@token_required
@offerings_blp.doc(security=[BEARER])
@offerings_blp.arguments(OfferingPatchSchema(partial=True))
@offerings_blp.response(200, OfferingSchema)
def update_offering(data, offering_id):
    """Change an offering; raising the capacity promotes from the waitlist at once. 409 below the seats taken."""
    offering = _offering(offering_id, "academy.manage")
    if "instructor" in data:
        data["instructor"] = _instructor(data["instructor"])
    if "sessions" in data:
        data["sessions"] = _sessions(data["sessions"])
    offering, _promoted = services.update_offering(offering, data, user=current_user)
    return offering


@offerings_blp.route("/<int:offering_id>/enrolments")
@token_required
@offerings_blp.doc(security=[BEARER])
@offerings_blp.arguments(PageQuerySchema, location="query")
@offerings_blp.response(200, EnrolmentPageSchema)
def list_enrolments(args, offering_id):
    """The roster: seated first, then pending, then the waitlist in order, then the rest."""
    return _page_with_positions(services.roster(_offering(offering_id, "academy.teach")), args)


@offerings_blp.route("/<int:offering_id>/enrolments", methods=["POST"])
@token_required
@offerings_blp.doc(security=[BEARER])
@offerings_blp.arguments(EnrolRequestSchema)
@offerings_blp.response(201, EnrolmentSchema)
@offerings_blp.alt_response(409, description="Already enrolled, window closed, prerequisites missing")
def enrol(data, offering_id):
    """Enrol yourself (a seat, the waitlist when full, or pending approval); managers may enrol someone else."""
    offering = _offering(offering_id)
    as_manager = bool(data.get("username"))
    if as_manager:
        if not can("academy.manage", offering):
            abort(403, description="只有园区管理员可以为他人报名")
        person = find_enrollable(data["username"], current_user)
        if person is None:
            raise ValidationError(_("找不到账号：%(username)s", username=data['username']), field="username")
    else:
        person = current_user._get_current_object()
    enrolment, position = services.enrol_placed(offering, person, by=current_user, as_manager=as_manager,
                                                note=data["note"])
    g.academy_positions = {enrolment.id: position}  # known under the lock: the answer needs no query for it
    return enrolment


@offerings_blp.route("/<int:offering_id>/close", methods=["POST"])
@token_required
@offerings_blp.doc(security=[BEARER])
@offerings_blp.response(200, EnrolmentSchema(many=True))
def close_offering(offering_id):
    """结业评定: complete everyone who meets the course's rule (after the last session has begun)."""
    return completion.close_offering(_offering(offering_id, "academy.manage"), by=current_user)


# -- enrolments ------------------------------------------------------------------------------

@enrolments_blp.route("/mine")
@token_required
@enrolments_blp.doc(security=[BEARER])
@enrolments_blp.arguments(PageQuerySchema, location="query")
@enrolments_blp.response(200, EnrolmentPageSchema)
def my_enrolments(args):
    """Your own enrolments, newest first, with waitlist positions and attendance."""
    return _page_with_positions(services.my_enrolments(current_user), args)


@enrolments_blp.route("/<int:enrolment_id>")
@token_required
@enrolments_blp.doc(security=[BEARER])
@enrolments_blp.response(200, EnrolmentSchema)
def get_enrolment(enrolment_id):
    """One enrolment: its owner, or whoever may see the offering's roster."""
    enrolment = _enrolment(enrolment_id)
    if enrolment.user_id != current_user.id:
        require("academy.teach", enrolment.offering)
    return enrolment


@enrolments_blp.route("/<int:enrolment_id>/cancel", methods=["POST"])
@token_required
@enrolments_blp.doc(security=[BEARER])
@enrolments_blp.response(200, EnrolmentSchema)
@enrolments_blp.alt_response(409, description="Not cancellable (already started, already out)")
def cancel_enrolment(enrolment_id):
    """Cancel your own enrolment before the offering starts; the next on the waitlist gets the seat."""
    enrolment = _enrolment(enrolment_id)
    if enrolment.user_id != current_user.id:
        abort(403, description="只能取消自己的报名（管理员请用 remove）")
    return services.cancel(enrolment, by=current_user)[0]


def _managed(enrolment_id):
    enrolment = _enrolment(enrolment_id)
    if not can("academy.manage", enrolment.offering):
        abort(403, description="无权管理该班次的报名")
    return enrolment


@enrolments_blp.route("/<int:enrolment_id>/approve", methods=["POST"])
@token_required
@enrolments_blp.doc(security=[BEARER])
@enrolments_blp.response(200, EnrolmentSchema)
def approve_enrolment(enrolment_id):
    """Approve a pending enrolment (a seat, or the waitlist when full)."""
    return services.approve(_managed(enrolment_id), by=current_user)


@enrolments_blp.route("/<int:enrolment_id>/reject", methods=["POST"])
@token_required
@enrolments_blp.doc(security=[BEARER])
@enrolments_blp.arguments(NoteSchema)
@enrolments_blp.response(200, EnrolmentSchema)
def reject_enrolment(data, enrolment_id):
    """Reject a pending enrolment."""
    return services.reject(_managed(enrolment_id), by=current_user, note=data["note"])


@enrolments_blp.route("/<int:enrolment_id>/remove", methods=["POST"])
@token_required
@enrolments_blp.doc(security=[BEARER])
@enrolments_blp.arguments(NoteSchema)
@enrolments_blp.response(200, EnrolmentSchema)
def remove_enrolment(data, enrolment_id):
    """Remove someone from the offering (managers); the next on the waitlist gets the seat."""
    return services.remove(_managed(enrolment_id), by=current_user, note=data["note"])[0]


# -- attendance ------------------------------------------------------------------------------

def _attendance_result(session, completed=()):
    offering = session.offering
    marks = {a.enrolment_id: a.status for a in db.session.scalars(
        select(services.Attendance).where(services.Attendance.session_id == session.id))}
    rows = [{"enrolment_id": e.id, "username": e.user.username, "name": e.user.name, "status": marks.get(e.id)}
            for e in services.seated_roster(offering)]
    return {"session": session, "rows": rows, "completed": [e.id for e in completed]}


def _session(session_id):
    session = db.session.get(Session, session_id)
    if session is None:
        abort(404, description="课次不存在")
    _offering(session.offering_id, "academy.teach")
    return session


@sessions_blp.route("/<int:session_id>/attendance")
@token_required
@sessions_blp.doc(security=[BEARER])
@sessions_blp.response(200, AttendanceResultSchema)
def get_attendance(session_id):
    """The session's roster with each person's attendance (null: not recorded yet)."""
    return _attendance_result(_session(session_id))


@sessions_blp.route("/<int:session_id>/attendance", methods=["PUT"])
@token_required
@sessions_blp.doc(security=[BEARER])
@sessions_blp.arguments(AttendanceRequestSchema)
@sessions_blp.response(200, AttendanceResultSchema)
def record_attendance(data, session_id):
    """Record attendance (present, late, excused, absent); completions it causes are listed in `completed`."""
    session = _session(session_id)
    marks = {m["enrolment_id"]: m["status"] for m in data["marks"]}
    completed = completion.record_attendance(session, marks, by=current_user)
    return _attendance_result(session, completed)
