"""Fixtures for the assessment tests: an organization in incubation, scoring helpers, rubric folders."""
from datetime import date

import pytest

from incubator.extensions import db
from incubator.plugins import set_enablement


@pytest.fixture
def assessed_org(make_org):
    return make_org(park="fangxing", stage="incubating", name="方兴助老服务社")


@pytest.fixture
def score_all(users):
    """score_all(assessment, share=0.8, by="expert-li"): give every indicator `share` of its points."""
    from plugins.assessment import services

    def _score(assessment, share=0.8, by="expert-li", finish=True):
        scores = {i["code"]: {"score": round(i["points"] * share * 2) / 2, "evidence": "查阅台账"}
                  for d in assessment.rubric["dimensions"] for i in d["indicators"]}
        services.save_scores(assessment, scores, user=users[by])
        if finish:
            services.finish(assessment, user=users[by])
        return assessment
    return _score


@pytest.fixture
def entry_and_exit(assessed_org, users, score_all):
    """entry_and_exit(exit_share): a finished entry (55%) and a finished exit with `exit_share`."""
    from plugins.assessment import services

    def _make(exit_share):
        entry = services.start(assessed_org, "entry", users["expert-li"], date.today(), user=users["fangxing-mgr"])
        score_all(entry, 0.55)
        exit_ = services.start(assessed_org, "exit", users["expert-li"], date.today(), user=users["fangxing-mgr"])
        score_all(exit_, exit_share)
        return entry, exit_
    return _make


@pytest.fixture
def only_assessment_vetoes(app, network):
    """Other plugins veto graduation too (checklist, mentoring): switch them off for these tests."""
    from incubator.plugins import registry
    for info in registry().loaded():
        if info.name != "assessment":
            set_enablement(info.name, "none")
    db.session.commit()


@pytest.fixture
def rubric_dir(app, tmp_path):
    """A park rubrics folder: write files into it, then call reload() to load them as at start-up."""
    from plugins.assessment import rubrics
    saved = (app.config.get("ASSESSMENT_RUBRICS_DIR"), app.extensions["assessment_rubrics"])

    class Folder:
        path = tmp_path

        def write(self, name, text):
            (tmp_path / name).write_text(text, encoding="utf-8")

        def reload(self):
            app.config["ASSESSMENT_RUBRICS_DIR"] = str(tmp_path)
            rubrics.init_app(app)
            return app.extensions["assessment_rubrics"]

    yield Folder()
    app.config["ASSESSMENT_RUBRICS_DIR"], app.extensions["assessment_rubrics"] = saved
