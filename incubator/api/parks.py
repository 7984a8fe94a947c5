"""/api/v1/parks: the 1+N network, readable by anyone."""
import marshmallow as ma
from flask import abort
from flask_smorest import Blueprint

from ..parks import services as parks
from .schemas import PageQuerySchema, page_schema, paginated_list

blp = Blueprint("api_parks", __name__, url_prefix="/parks", description="Parks (园区) of the 1+N network")


class ParkSchema(ma.Schema):
    code = ma.fields.String()
    name = ma.fields.String()
    level = ma.fields.String(metadata={"enum": ["district", "street", "community"]})
    parent = ma.fields.Function(lambda p: p.parent.code if p.parent else None, allow_none=True)
    address = ma.fields.String()
    area_m2 = ma.fields.Integer()
    description = ma.fields.String()
    html_url = ma.fields.Function(lambda p: _park_url(p))


def _park_url(park):
    from flask import url_for
    return url_for("public.park", code=park.code, _external=True)


@blp.route("")
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, page_schema(ParkSchema, "ParkPage"))
def list_parks(args):
    """All parks, in 1+N tree order, a page at a time."""
    return paginated_list((park for park, _depth in parks.tree()), args)


@blp.route("/<code>")
@blp.response(200, ParkSchema)
def get_park(code):
    """One park by its code."""
    return parks.by_code(code) or abort(404, description=f"没有代码为 {code} 的园区")
