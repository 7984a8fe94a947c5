"""公益微创投 · A street micro-grant round: applications, expert scoring, grants in tranches."""
INCUBATOR_DEFAULT_PARKS = ["wannianbu"]
