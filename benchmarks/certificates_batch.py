"""Certificates: batch issue vs one write_pdf per certificate, measured in the same run.

    .venv/bin/python benchmarks/certificates_batch.py [--count 500] [--single 8]

Builds a throw-away instance (SQLite, temp dir), 500 trainees who completed one offering (through a
stand-in for the academy plugin's `incubator_certificate_completions`), then measures:
  - one `write_pdf` per certificate (the naive way), over `--single` certificates;
  - a single certificate on demand through the service, warm process (render, store, record);
  - the batch job (`jobs.run_batch`): 500 stored, hashed, recorded single-page PDFs, both cores;
and prints them side by side with the file sizes. Targets: batch < 10 s, ≥ 10× faster per
certificate than the naive way, single < 400 ms, each PDF < 300 KB.
"""
import argparse
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静磊洋艳勇军杰娟涛明超秀英华慧巧美娅淑惠珠翠雅芝玉萍红娥玲芬燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝思丽䶮喆"


def cpu_seconds() -> float:
    """CPU time of this process and of its rendering processes (still running: read from /proc)."""
    from plugins.certificates import rendering
    own = resource.getrusage(resource.RUSAGE_SELF)
    total = own.ru_utime + own.ru_stime
    tick = os.sysconf("SC_CLK_TCK")
    for pid in list(getattr(rendering._pool, "_processes", None) or {}):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return total


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--single", type=int, default=8, help="certificates rendered the naive way")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="cert-bench-")
    os.environ["INCUBATOR_INSTANCE_PATH"] = tmp
    os.environ.setdefault("INCUBATOR_DATABASE_URL", f"sqlite:///{tmp}/bench.db")

    import flask_migrate
    from incubator import create_app
    from incubator.demo import ensure_accounts, ensure_network
    from incubator.extensions import db
    from incubator.hookspecs import hookimpl
    from incubator.users.models import User
    from plugins.certificates import fonts, jobs, rendering, services, specs
    from plugins.certificates.models import BatchJob, Certificate

    app = create_app({"SERVER_NAME": "localhost", "QUEUE_IMMEDIATE": True,
                      "BASE_URL": os.environ.get("INCUBATOR_BASE_URL") or "https://xueyuan.example.gov.cn/",
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        flask_migrate.upgrade(revision="heads")
    ctx = app.test_request_context()
    ctx.push()
    parks = ensure_network()
    ensure_accounts(parks, "demo12345")
    random.seed(7)
    names = [random.choice(SURNAMES) + "".join(random.choice(GIVEN) for _ in range(random.choice((1, 2))))
             for _ in range(args.count + args.single + 1)]
    db.session.execute(db.insert(User), [{"username": f"bench{i}", "name": n, "role": "trainee",
                                          "password_hash": "x"} for i, n in enumerate(names)])
    db.session.commit()
    users = db.session.scalars(db.select(User).where(User.username.like("bench%")).order_by(User.id)).all()

    park = parks["fangxing"]
    course = SimpleNamespace(code="SQ101", title="社区参与式治理", hours=24)
    offering = SimpleNamespace(id=1, park=park, park_id=park.id, course=course,
                               start_date=date(2026, 9, 1), end_date=date(2026, 11, 20))
    other = SimpleNamespace(id=2, park=park, park_id=park.id, course=course,
                            start_date=date(2026, 9, 1), end_date=date(2026, 11, 20))

    def enrolment(i, user, off):
        return SimpleNamespace(id=i, user=user, offering=off, hours=24, completed_at=datetime(2026, 11, 20))

    batch_ids = [u.id for u in users[:args.count]]
    singles = [enrolment(100000 + i, u, other) for i, u in enumerate(users[args.count:])]

    class Academy:
        @hookimpl
        def incubator_certificate_completions(self, offering_id):
            # Like the academy plugin: the completed enrolments with their trainees, loaded now.
            if offering_id != 1:
                return None
            # (populate_existing: as in the worker's fresh session, not from this session's stale copies)
            trainees = db.session.scalars(db.select(User).where(User.id.in_(batch_ids)).order_by(User.id)
                                          .execution_options(populate_existing=True))
            return [enrolment(i + 1, u, offering) for i, u in enumerate(trainees)]

    app.extensions["incubator_plugins"].pm.register(Academy(), name="bench-academy")

    print(f"CPUs: {rendering.worker_count()}  HarfBuzz subsetting: {fonts.has_harfbuzz_subset()}  "
          f"fonts: {', '.join(f for f in fonts.cjk_families() if 'Serif' in f and 'SC' in f) or fonts.cjk_families()[:1]}")

    # Warm the process (fontconfig, WeasyPrint's user-agent stylesheet, the template), and start
    # its rendering processes as the queue worker does when it starts.
    services.issue_for_completion(singles[0])
    rendering.pool({park.name})

    # 1. The naive way: one write_pdf per certificate (with the same templating and QR code).
    naive, naive_cpu = [], []
    template = rendering.template("completion")
    for e in singles[1:args.single + 1]:
        spec = specs.completion_spec(e)
        variables = specs.variables(spec, "BHJY20260009999", services.new_code(), date.today(), services.verify_base_url())
        t, c = time.perf_counter(), time.process_time()
        style, page = rendering.render_parts(template, rendering.with_qr(variables))
        rendering.write_document(style, [page])  # HTML(...).write_pdf()
        naive.append(time.perf_counter() - t)
        naive_cpu.append(time.process_time() - c)
    naive_each = statistics.median(naive)

    # 2. One certificate on demand through the service (render, store, hash, record), warm.
    on_demand = []
    for e in singles[args.single + 1:args.single + 4] or singles[1:4]:
        e.id += 50000
        t = time.perf_counter()
        services.issue_for_completion(e)
        on_demand.append(time.perf_counter() - t)

    # 3. The batch job: every completion of the offering, stored and recorded.
    job = BatchJob(offering_id=1, park_id=park.id, total=len(batch_ids))
    db.session.add(job)
    db.session.commit()
    t, c = time.perf_counter(), cpu_seconds()
    jobs.run_batch(job.id)
    batch_total = time.perf_counter() - t
    batch_cpu = cpu_seconds() - c
    job = db.session.get(BatchJob, job.id)
    assert job.status == "done" and job.issued == len(batch_ids), job.error
    sizes = [c.pdf_size for c in db.session.scalars(db.select(Certificate).where(Certificate.offering_id == 1))]
    batch_each = batch_total / len(batch_ids)

    naive_cpu_each = statistics.median(naive_cpu)
    rows = [
        ("one write_pdf per certificate (naive)", f"{naive_each * 1000:8.1f} ms", f"{naive_cpu_each * 1000:8.1f} ms",
         f"{naive_each * len(batch_ids):8.1f} s (est.)"),
        ("single certificate on demand (warm)", f"{statistics.median(on_demand) * 1000:8.1f} ms", "", ""),
        (f"batch job, {len(batch_ids)} stored PDFs", f"{batch_each * 1000:8.1f} ms",
         f"{batch_cpu / len(batch_ids) * 1000:8.1f} ms", f"{batch_total:8.1f} s"),
    ]
    print(f"\n{'':42} {'wall/certificate':>16} {'CPU/certificate':>16} {'for ' + str(len(batch_ids)):>16}")
    for label, each, cpu, total in rows:
        print(f"{label:42} {each:>16} {cpu:>16} {total:>16}")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (other work on the machine inflates wall times)")
    print(f"\nspeed-up of the batch over the naive way: {naive_each / batch_each:.1f}× measured (wall), "
          f"{naive_cpu_each / (batch_cpu / len(batch_ids)):.1f}× in CPU time per certificate")
    idle = batch_cpu / len(batch_ids) / rendering.worker_count()
    print(f"on an otherwise idle machine ({rendering.worker_count()} workers busy): ≈ {idle * 1000:.0f} ms per "
          f"certificate, {idle * len(batch_ids):.1f} s for {len(batch_ids)}, ≈ {naive_cpu_each / idle:.0f}× the naive way (estimate)")
    print(f"PDF size: max {max(sizes) / 1024:.0f} KB, median {statistics.median(sizes) / 1024:.0f} KB "
          f"({rendering.CHUNK} certificates per WeasyPrint document)")
    ok = batch_total < 10 and naive_each / batch_each >= 10 and statistics.median(on_demand) < 0.4 and max(sizes) < 300 * 1024
    print("targets (batch < 10 s, ≥ 10×, single < 400 ms, < 300 KB):", "met" if ok else "NOT met")
    ctx.pop()


if __name__ == "__main__":
    main()
