"""督导记录 · Mentoring logs: experts assigned to organizations log supervision sessions."""
