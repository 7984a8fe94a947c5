"""社区治理学院 · Academy: course catalogue, offerings, enrolment with waitlists, attendance, completion."""
