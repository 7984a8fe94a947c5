"""Certificates: batch issue vs one write_pdf per certificate, measured in the same run.

    .venv/bin/python benchmarks/certificates_batch.py [--count 500] [--single 8] [--keep]

Builds a throw-away instance (SQLite, temp dir), 500 trainees who completed one offering (through a
stand-in for the academy plugin's `incubator_certificate_completions`), then measures:
  - one `write_pdf` per certificate (the naive way), over `--single` certificates;
  - a single certificate on demand through the service, warm process (render, store, record);
  - the batch job (`jobs.run_batch`): 500 stored, hashed, recorded single-page PDFs, both cores;
and prints them side by side: wall and CPU time per certificate (CPU of this process and of its
rendering processes: RUSAGE_SELF + RUSAGE_CHILDREN, the workers shut down at the end of the batch),
their ratios, the batch's peak memory over all its processes, the file sizes. Targets: ≥ 10× the
naive way in CPU time per certificate, ≥ 20× in wall time (2 cores), < 400 MB in all, each PDF
≤ 300 KB, single < 400 ms; a sample of the stored files is checked (one page, SHA-256, its text).
"""
import argparse
import os
import random
import resource
import shutil
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
    """CPU time of this process and of its children that have ended (the rendering processes are
    shut down before this is read at the end of a measurement)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class PeakMemory:
    """The peak, over a measurement, of the memory of this process and its children added up,
    sampled every 20 ms from /proc: RSS (pages shared by forked processes counted in each) and PSS
    (each shared page split between its processes: what they take together)."""

    def __init__(self):
        import threading
        self.rss = self.pss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._sample()
        self._stop.set()
        self._thread.join()

    def _run(self):
        while not self._stop.wait(0.02):
            self._sample()

    def _sample(self):
        rss = pss = 0
        for pid in [os.getpid(), *_children(os.getpid())]:
            try:
                for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1]) * 1024
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1]) * 1024
            except OSError:
                pass
        self.rss, self.pss = max(self.rss, rss), max(self.pss, pss)


def _children(pid: int) -> list[int]:
    try:
        tasks = Path(f"/proc/{pid}/task").iterdir()
        return [int(c) for t in tasks for c in (t / "children").read_text().split()]
    except OSError:
        return []


def check_files(certs) -> None:
    """Every stored file is a one-page PDF whose SHA-256 verifies, with its own name and serial."""
    import io

    from pypdf import PdfReader

    from plugins.certificates import storage, verification
    for cert in certs[:: max(1, len(certs) // 10)]:
        data = storage.pdf_path(cert).read_bytes()
        assert verification.file_matches(cert, data), cert.serial
        page, = PdfReader(io.BytesIO(data), strict=True).pages
        text = "".join(page.extract_text().split())
        assert cert.holder_name in text and cert.serial in text, cert.serial


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--single", type=int, default=8, help="certificates rendered the naive way")
    parser.add_argument("--keep", action="store_true", help="keep the instance folder (its PDFs) for a look")
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
        t, c = time.perf_counter(), cpu_seconds()
        style, page = rendering.render_parts(template, rendering.with_qr(variables))
        rendering.write_document(style, [page])  # HTML(...).write_pdf()
        naive.append(time.perf_counter() - t)
        naive_cpu.append(cpu_seconds() - c)
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
    with PeakMemory() as memory:
        t, c, own = time.perf_counter(), cpu_seconds(), time.process_time()
        jobs.run_batch(job.id)
        own = time.process_time() - own
        batch_total = time.perf_counter() - t
        rendering.shutdown_pool()  # the workers' CPU time is counted (RUSAGE_CHILDREN) once they end
        batch_cpu = cpu_seconds() - c
    job = db.session.get(BatchJob, job.id)
    assert job.status == "done" and job.issued == len(batch_ids), job.error
    files = list(db.session.scalars(db.select(Certificate).where(Certificate.offering_id == 1)))
    sizes = [c.pdf_size for c in files]
    check_files(files)
    n = len(batch_ids)
    batch_each, batch_cpu_each = batch_total / n, batch_cpu / n
    naive_cpu_each = statistics.median(naive_cpu)
    wall_ratio, cpu_ratio = naive_each / batch_each, naive_cpu_each / batch_cpu_each
    rows = [
        ("one write_pdf per certificate (naive)", naive_each, naive_cpu_each, f"{naive_each * n:6.1f} s (est.)"),
        (f"batch job, {n} stored PDFs, {rendering.worker_count()} workers", batch_each, batch_cpu_each,
         f"{batch_total:6.1f} s"),
    ]
    print(f"\n{'':44} {'wall/certificate':>16} {'CPU/certificate':>16} {'for ' + str(n):>16}")
    for label, wall, cpu, total in rows:
        print(f"{label:44} {wall * 1000:13.1f} ms {cpu * 1000:13.1f} ms {total:>16}")
    print(f"{'  of which this process (queue worker)':44} {'':16} {own / n * 1000:13.1f} ms")
    print(f"{'batch / naive':44} {wall_ratio:15.1f}× {cpu_ratio:15.1f}×")
    # On a busy machine both wall times measure the other processes as much as this one: the naive
    # way is one CPU-bound process (on an idle core its wall time is its CPU time), the batch
    # keeps the 2 cores busy (its CPU time over the cores, no less than the queue worker's own).
    idle = max(batch_cpu_each / rendering.worker_count(), own / n)
    print(f"{'  wall on an idle machine (from CPU times)':44} {idle * 1000:13.1f} ms"
          f"   ≈ {naive_cpu_each / idle:.0f}× the naive way (an estimate)")
    print(f"{'single certificate on demand (warm, stored)':44} {statistics.median(on_demand) * 1000:13.1f} ms")
    print(f"peak memory of the batch, all processes: {memory.pss / 2**20:.0f} MB (PSS), "
          f"{memory.rss / 2**20:.0f} MB (RSS, shared pages counted in each process)")
    print(f"PDF size: max {max(sizes) / 1024:.0f} KB, median {statistics.median(sizes) / 1024:.0f} KB "
          f"({rendering.CHUNK} certificates per WeasyPrint document)")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (other work on the machine inflates wall times)")
    ok = (cpu_ratio >= 10 and wall_ratio >= 20 and memory.pss < 400 * 2**20 and max(sizes) <= 300 * 1024
          and statistics.median(on_demand) < 0.4)
    print("targets (≥ 10× in CPU, ≥ 20× in wall time, < 400 MB, ≤ 300 KB, single < 400 ms):",
          "met" if ok else "NOT met")
    ctx.pop()
    if args.keep:
        print(f"instance folder kept: {tmp} (PDFs in certificates/)")
    else:
        shutil.rmtree(tmp, ignore_errors=True)  # ≈ 115 MB of PDFs


if __name__ == "__main__":
    main()
