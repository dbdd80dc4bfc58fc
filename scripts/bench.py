"""The benchmark behind `make bench`: the portal served by gunicorn on PostgreSQL, at
scale 1 and scale 100 of generated data, measured page by page against a reference
page (the logged-in shell through every middleware).

For each scale it creates (once) the database `<BENCH_DATABASE_PREFIX><scale>`, migrates
it and generates the data (a second run reuses it), asks `manage.py bench_probe` for
the pages and their query counts, serves the portal with gunicorn, logs in over HTTP
and requests each page from `--concurrency` clients for `--seconds`. It prints a table
and the targets, and writes both to `--output` (Markdown) and a JSON file beside it.

    .venv/bin/python scripts/bench.py --scales 1,100
    .venv/bin/python scripts/bench.py --scales 1 --seconds 2 --check   # CI smoke

Needs PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
TARGETS = {
    "dashboard_growth": 1.5,  # dashboard p50 at the largest scale / at the smallest
    "throughput_share": 0.40,  # list, detail and form, against the reference page
    "dashboard_share": 0.30,
    "deep_page": 1.2,  # deep list page p50 / first page p50
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url(base: str, name: str) -> str:
    parts = urllib.parse.urlsplit(base)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))


def _ensure_database(base: str, name: str) -> None:
    connection = psycopg.connect(_database_url(base, "postgres"), autocommit=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()


def _manage(env: dict, *args: str, quiet: bool = False) -> None:
    print(f"  manage.py {' '.join(args)}", flush=True)
    subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL if quiet else None,
    )


class Server:
    """gunicorn serving the portal against one database, for the length of a `with`."""

    def __init__(self, env: dict, workers: int):
        self.env, self.workers, self.port = env, workers, _free_port()

    def __enter__(self):
        self.process = subprocess.Popen(
            [
                str(Path(PYTHON).parent / "gunicorn"),
                "portal.wsgi",
                f"--bind=127.0.0.1:{self.port}",
                f"--workers={self.workers}",
                "--log-level=warning",
            ],
            cwd=ROOT,
            env=self.env,
        )
        for _ in range(120):
            try:
                status, _body, _headers = request(self.port, "/health/")
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.5)
        self.process.terminate()
        raise SystemExit("gunicorn did not come up")

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=30)


def request(port, path, *, method="GET", body=None, cookies="", connection=None):
    conn = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Cookie": cookies, "Accept-Language": "zh-hans"}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers["Referer"] = f"http://127.0.0.1:{port}/accounts/login/"
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    if connection is None:
        conn.close()
    return response.status, data, response.getheaders()


def _cookies(headers, jar: dict) -> dict:
    for name, value in headers:
        if name.lower() == "set-cookie":
            key, _, rest = value.partition("=")
            jar[key] = rest.split(";", 1)[0]
    return jar


def login(port: int, username: str, password: str) -> str:
    """A logged-in session's Cookie header, through the real login form."""
    status, body, headers = request(port, "/accounts/login/")
    jar = _cookies(headers, {})
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "username": username, "password": password}
    )
    cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
    status, body, headers = request(
        port, "/accounts/login/", method="POST", body=form, cookies=cookie
    )
    if status != 302:
        raise SystemExit(f"login as {username} failed ({status})")
    jar = _cookies(headers, jar)
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def warm_up(port: int, path: str, cookies: str, *, workers: int) -> None:
    """Requests `path` from as many parallel clients as there are workers, three times:
    a busy sync worker takes no new connection, so each worker gets one and pays for
    its imports and, without a shared cache, fills its own dashboard cache."""
    statuses = []

    def client():
        statuses.append(request(port, path, cookies=cookies)[0])

    for _ in range(3):
        threads = [threading.Thread(target=client) for _ in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    if any(status != 200 for status in statuses):
        raise SystemExit(f"{path} answered {sorted(set(statuses))}")


def measure(port: int, path: str, cookies: str, *, seconds: float, concurrency: int) -> dict:
    """Latencies and throughput of `path` from `concurrency` keep-alive clients."""
    latencies, errors = [], []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        mine = []
        while time.monotonic() < deadline or len(mine) < 2:
            started = time.perf_counter()
            status, _body, _headers = request(port, path, cookies=cookies, connection=conn)
            mine.append(time.perf_counter() - started)
            if status != 200:
                errors.append(status)
        conn.close()
        with lock:
            latencies.extend(mine)

    started = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    if errors:
        raise SystemExit(f"{path}: {len(errors)} requests failed, e.g. {errors[0]}")
    latencies.sort()
    return {
        "requests": len(latencies),
        "p50_ms": round(1000 * statistics.median(latencies), 1),
        "p95_ms": round(1000 * latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))], 1),
        "per_second": round(len(latencies) / elapsed, 1),
    }


def run_scale(scale: int, args) -> dict:
    name = f"{args.database_prefix}{scale}"
    print(f"\n== scale {scale}: database {name}", flush=True)
    _ensure_database(args.database_url, name)
    password = secrets.token_urlsafe(12)
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(args.database_url, name),
        "DEBUG": "false",
        "HTTPS": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "TWO_FACTOR_REQUIRED": "false",
        # A throttle on logins would only measure itself.
        "LOGIN_FAILURE_LIMIT": "1000",
    }
    _manage(env, "migrate", "--noinput", quiet=True)
    _manage(env, "collectstatic", "--noinput", "--verbosity", "0", quiet=True)
    # Generated cases are handled by a superuser; an existing one is kept.
    subprocess.run(
        [PYTHON, "manage.py", "createsuperuser", "--noinput", "--username", "bench.admin"],
        cwd=ROOT,
        env={
            **env,
            "DJANGO_SUPERUSER_PASSWORD": secrets.token_urlsafe(16),
            "DJANGO_SUPERUSER_EMAIL": "bench@example.org",
        },
        capture_output=True,
    )
    _manage(env, "generate_load_data", "--scale", str(scale))
    probe_file = Path(args.output).with_suffix(f".probe{scale}.json")
    # Query counts and the dashboard's compute time are taken with its cache off.
    _manage(
        {**env, "DASHBOARD_CACHE_SECONDS": "0"},
        "bench_probe",
        # One argument: a generated password may start with "-".
        f"--password={password}",
        "--output",
        str(probe_file),
    )
    probe = json.loads(probe_file.read_text(encoding="utf-8"))
    probe_file.unlink()
    results = {"cases": probe["cases"], "disputes": probe["disputes"], "pages": []}
    with Server(env, args.workers) as server:
        sessions = {}
        for page in probe["pages"]:
            user = page["user"]
            if user not in sessions:
                sessions[user] = login(server.port, user, password)
            warm_up(server.port, page["path"], sessions[user], workers=args.workers)
            figures = measure(
                server.port,
                page["path"],
                sessions[user],
                seconds=args.seconds,
                concurrency=args.concurrency,
            )
            results["pages"].append({**page, **figures})
            print(
                f"  {page['name']:<18} {page['queries']:>3} queries  p50 {figures['p50_ms']:>7} ms"
                f"  p95 {figures['p95_ms']:>7} ms  {figures['per_second']:>7}/s",
                flush=True,
            )
    return results


def report(runs: dict[int, dict], args) -> tuple[str, list[bool]]:
    lines = [
        "Columns: queries and uncached ms from one request in-process with the dashboard",
        "cache off; p50, p95 and req/s served by gunicorn (the dashboard from its cache).",
        "",
        f"Benchmark {time.strftime('%Y-%m-%d %H:%M')}: gunicorn {args.workers} workers, "
        f"{args.concurrency} clients, {args.seconds:g} s a page, PostgreSQL.",
        "",
        "| scale | cases | page | queries | uncached ms | p50 ms | p95 ms | req/s "
        "| share of reference |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for scale, run in runs.items():
        reference = next(p for p in run["pages"] if p["name"] == "reference")
        for page in run["pages"]:
            share = page["per_second"] / reference["per_second"]
            lines.append(
                f"| {scale} | {run['cases']:,} | {page['name']} | {page['queries']} | "
                f"{page['computed_ms']} | {page['p50_ms']} | {page['p95_ms']} | "
                f"{page['per_second']} | {share:.0%} |"
            )
    checks = []

    def check(ok: bool, text: str):
        checks.append(ok)
        lines.append(f"- {'met' if ok else 'NOT MET'}: {text}")

    lines += ["", "Targets:"]
    scales = sorted(runs)
    by = {s: {p["name"]: p for p in runs[s]["pages"]} for s in scales}
    small, large = scales[0], scales[-1]
    if small != large:
        for name in by[small]:
            a, b = by[small][name]["queries"], by[large][name]["queries"]
            check(a == b, f"{name}: {a} queries at scale {small}, {b} at scale {large}")
        growth = by[large]["dashboard"]["p50_ms"] / by[small]["dashboard"]["p50_ms"]
        check(
            growth <= TARGETS["dashboard_growth"],
            f"dashboard p50 at scale {large} is {growth:.2f}× scale {small}'s "
            f"(target ≤ {TARGETS['dashboard_growth']}×)",
        )
    for scale in scales:
        pages = by[scale]
        reference = pages["reference"]["per_second"]
        for name, page in pages.items():
            if name == "reference":
                continue
            target = TARGETS["dashboard_share" if name == "dashboard" else "throughput_share"]
            share = page["per_second"] / reference
            check(
                share >= target,
                f"scale {scale}, {name}: {share:.0%} of the reference's throughput "
                f"(target ≥ {target:.0%})",
            )
        deep = pages["list, deep page"]["p50_ms"] / pages["list, first page"]["p50_ms"]
        check(
            deep <= TARGETS["deep_page"],
            f"scale {scale}: deep list page p50 is {deep:.2f}× the first page's "
            f"(target ≤ {TARGETS['deep_page']}×)",
        )
    return "\n".join(lines), checks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="1,100")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/"),
    )
    parser.add_argument("--database-prefix", default="portal_bench_s")
    parser.add_argument("--output", default=str(ROOT / "var" / "bench" / "results.md"))
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit non-zero when a target is not met (the benchmark itself never does)",
    )
    args = parser.parse_args()
    scales = [int(s) for s in args.scales.split(",")]
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    runs = {scale: run_scale(scale, args) for scale in scales}
    text, checks = report(runs, args)
    print("\n" + text)
    Path(args.output).write_text(text + "\n", encoding="utf-8")
    Path(args.output).with_suffix(".json").write_text(
        json.dumps(runs, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    print(f"\nWritten to {args.output}")
    if args.check and not all(checks):
        sys.exit(1)


if __name__ == "__main__":
    main()
