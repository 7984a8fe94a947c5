"""Where each plugin is enabled, as the administrator set it."""
from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

plugin_parks = Table(
    "plugin_parks",
    db.metadata,
    Column("plugin", ForeignKey("plugin_settings.plugin", ondelete="CASCADE"), primary_key=True),
    Column("park_id", ForeignKey("parks.id", ondelete="CASCADE"), primary_key=True),
)


class PluginSetting(db.Model):
    """`scope` is 'all' (every park), 'parks' (those in plugin_parks) or 'none'.

    A plugin with no row uses its default: everywhere, or the parks its module names in
    INCUBATOR_DEFAULT_PARKS (a street plugin ships enabled for its own street only).
    """

    __tablename__ = "plugin_settings"
    __table_args__ = (CheckConstraint("scope IN ('all', 'parks', 'none')", name="scope"),)

    plugin: Mapped[str] = mapped_column(String(80), primary_key=True)
    scope: Mapped[str] = mapped_column(String(10), default="all")
