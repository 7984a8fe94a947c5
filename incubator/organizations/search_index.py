"""The organizations' search index: every piece of one, two and three characters of a name and of
its pinyin initials, so that a search reads the index entries of what it looks for, newest first, and
stops at the page it shows, instead of reading every name.

Why not PostgreSQL's pg_trgm or SQLite's FTS5 trigram tokenizer: both index three-character pieces
only, and Chinese searches are mostly two characters (社工, 养老, 方兴); below three characters both
fall back to reading every row, and neither gives the matches in the list's order. Here a search of
up to three characters is one range of the index, read backwards (the newest organizations first);
a longer one reads the range of its rarest three-character piece and checks each candidate's whole
text (`texts`, normalized as the search is).

A USCC is searched by its beginning (six characters at least, with a digit), on the column's own
index: every code of a district begins with the same region code, so its pieces would be in every
organization's entries.

The index is kept in step in the same transaction as the organizations it describes: the session
listener below refreshes it at every flush that adds, renames or deletes an organization; code that
writes organizations with Core INSERTs (the import, the demo) calls `refresh` with their ids.
"""
from __future__ import annotations

import re
import unicodedata

from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text, delete, event, exists, false, insert, \
    select, text
from sqlalchemy.orm import Session

from ..extensions import db

terms = Table(
    "organization_search_terms",
    db.metadata,
    Column("term", String(3), primary_key=True),
    Column("organization_id", Integer, ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True,
           index=True),
    sqlite_with_rowid=False,
)
# What a longer search is checked against: the name and the initials, normalized, one per line (a
# search has no white space, so it never spans the two).
texts = Table(
    "organization_search_texts",
    db.metadata,
    Column("organization_id", Integer, ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True),
    Column("text", Text, nullable=False),
)

BATCH = 1000
INDEXED = ("name", "name_initials")
USCC_BEGINNING = re.compile(r"[0-9A-Z]{6,18}")
PROBE = 1000  # a piece with this many entries is common enough: its matches come soon, in order
MAX_PROBES = 12


def normalize(text: str | None) -> str:
    """What is compared: full-width letters and digits as half-width, lower case, no white space."""
    return "".join(unicodedata.normalize("NFKC", text or "").lower().split())


def pieces(text: str, sizes=(1, 2, 3)) -> set[str]:
    """The pieces of `text` (normalized) of each size in `sizes`."""
    text = normalize(text)
    return {text[i:i + size] for size in sizes for i in range(len(text) - size + 1)}


def terms_of(name: str | None, initials: str | None) -> set[str]:
    return pieces(name or "") | pieces(initials or "")


def text_of(name: str | None, initials: str | None) -> str:
    return normalize(name) + "\n" + normalize(initials)


def search(stmt, q: str):
    """`stmt` (a select of Organization) narrowed to those whose name or pinyin initials contain `q`
    (ignoring case and width; `%` and `_` taken literally), or whose USCC begins with it; newest first."""
    from .models import Organization
    wanted = normalize(q)
    if not wanted or "\x00" in wanted:  # (no stored text holds a NUL; PostgreSQL refuses one in a query)
        return stmt.where(false())
    code = wanted.upper()
    if USCC_BEGINNING.fullmatch(code) and any(c.isdigit() for c in code):
        return (stmt.where(Organization.uscc >= code, Organization.uscc < code + "~")  # "~" sorts after Z
                .order_by(Organization.id.desc()))
    piece = wanted if len(wanted) <= 3 else rarest(pieces(wanted, sizes=(3,)))
    entry = terms.alias("entry")
    stmt = stmt.join(entry, (entry.c.organization_id == Organization.id) & (entry.c.term == piece))
    if len(wanted) > 3:  # (its pieces may all be there without the whole text: each candidate is checked)
        stmt = stmt.where(exists().where(texts.c.organization_id == entry.c.organization_id,
                                         texts.c.text.contains(wanted, autoescape=True)))
    return stmt.order_by(entry.c.organization_id.desc())


def rarest(candidates: set[str]) -> str:
    """The piece with the fewest entries, counting each up to PROBE (one statement; plain SQL, as
    building it from a dozen subquery objects cost more than running it)."""
    candidates = sorted(candidates)[:MAX_PROBES]
    probe = (f"SELECT count(*) FROM (SELECT 1 FROM {terms.name} WHERE term = :p{{n}} LIMIT {PROBE}) AS p{{n}}")
    counts = db.session.execute(text("SELECT " + ", ".join(f"({probe.format(n=n)})" for n in range(len(candidates)))),
                                {f"p{n}": piece for n, piece in enumerate(candidates)}).one()
    return min(zip(counts, candidates))[1]


def refresh(org_ids, session=None) -> None:
    """Index the organizations `org_ids` as they are now in the database (or remove what is gone)."""
    from .models import Organization
    session = session or db.session
    org_ids = list(org_ids)
    for start in range(0, len(org_ids), BATCH):
        chunk = org_ids[start:start + BATCH]
        for table in (terms, texts):
            session.execute(delete(table).where(table.c.organization_id.in_(chunk)))
        found = session.execute(select(Organization.id, Organization.name, Organization.name_initials)
                                .where(Organization.id.in_(chunk))).all()
        if found:
            session.execute(insert(terms), [{"term": term, "organization_id": org_id}
                                            for org_id, *fields in found for term in terms_of(*fields)])
            session.execute(insert(texts), [{"organization_id": org_id, "text": text_of(*fields)}
                                            for org_id, *fields in found])


def rebuild(session=None) -> int:
    """Index every organization anew (the migration that creates the index; a repair). Returns how many."""
    from .models import Organization
    session = session or db.session
    session.execute(delete(terms))
    session.execute(delete(texts))
    ids = session.scalars(select(Organization.id).order_by(Organization.id)).all()
    refresh(ids, session)
    return len(ids)


@event.listens_for(Session, "after_flush")
def _follow_the_organizations(session, flush_context) -> None:
    """Organizations added, renamed or deleted through the session: their pieces, in the same flush."""
    from sqlalchemy import inspect

    from .models import Organization
    changed = [o.id for o in session.new if isinstance(o, Organization)]
    changed += [o.id for o in session.dirty if isinstance(o, Organization)
                and any(inspect(o).attrs[key].history.has_changes() for key in INDEXED)]
    gone = [o.id for o in session.deleted if isinstance(o, Organization)]
    if gone:  # (the foreign key cascades too; SQLite's only when foreign keys are switched on)
        for table in (terms, texts):
            session.execute(delete(table).where(table.c.organization_id.in_(gone)))
    if changed:
        refresh(changed, session)
