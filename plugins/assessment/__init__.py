"""能力评估 · Capacity assessments: rubric-based entry, mid-term and exit assessments."""
