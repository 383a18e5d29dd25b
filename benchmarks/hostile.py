"""Hostile clients: each attack of issue 9 against a real server, and how long it stays unavailable.

Every attack starts a fresh ``codingkg serve`` on 127.0.0.1 (a free port), runs against it for
a bounded time, then stops it. For each attack the table shows what the attacker got, how long
``/healthz`` took to answer once the attack was under way (polled every 100 ms, one second per
try, at most ``--cap`` seconds), the slowest ``/healthz`` answer seen meanwhile, and the peak
RSS of the server's largest process (``VmHWM``).

    python benchmarks/hostile.py [--repo PATH] [--data RELEASE_DIR] [--cap 60] [--only NAME ...]

``--repo`` serves another checkout (to compare before and after a change); ``--data`` layers an
imported quarter (``benchmarks/generate_cms.py`` then ``codingkg import``) under the attacks
that need volume. Linux only (``/proc``, ``RLIMIT_NOFILE``). Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPOSITORY = Path(__file__).resolve().parents[1]
#: Codes of the curated graph with add-ons or primaries, repeated to fill a 100-entry ``codes`` list.
FAN_CODES = ["96360", "96365", "96369", "96374", "96409", "96413", "96415", "96416", "96417", "96422",
             "96366", "96367", "96411", "96423", "96361", "96368", "96370", "96371", "96375", "96376"] * 5
FAN_SELECTION = "code addOns { code validPrimaries { code addOns { code validPrimaries { code addOns { code } } } } }"
FAN_OUT = "{ codes(codes: [" + ", ".join(f'"{c}"' for c in FAN_CODES) + "]) { " + FAN_SELECTION + " } }"
FAN_OUT_ALIASES = "query($c: [String!]!) { " + " ".join(f"a{n}: codes(codes: $c) {{ {FAN_SELECTION} }}" for n in range(30)) + " }"
SMALL_FAN_OUT = ("query($c: [String!]!) { codes(codes: $c) { addOns { validPrimaries { addOns { validPrimaries "
                 "{ addOns { code } } } } } } }")
NESTED_RELATIONSHIPS = "{ codes(codes: $c) { relationships { from { relationships { to { relationships { kind } } } } } } }"


@dataclass
class Outcome:
    """What one attack did."""

    name: str
    result: str = ""
    healthz_wait_s: float | None = None
    healthz_worst_ms: float = 0.0
    peak_rss_mb: float = 0.0
    notes: list[str] = field(default_factory=list)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A ``codingkg serve`` child process on a free port of 127.0.0.1, its log in a temporary file."""

    def __init__(self, repo: Path, data: list[Path], workers: int = 1, nofile: int | None = None) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile("w+b", suffix=".log", delete=False)  # noqa: SIM115
        command = [sys.executable, "-m", "codingkg", "serve", "--port", str(self.port), "--workers", str(workers)]
        for d in data:
            command += ["--data", str(d)]

        def limit() -> None:
            if nofile is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

        env = {**os.environ, "PYTHONPATH": str(repo)}
        self.process = subprocess.Popen(command, cwd=repo, env=env, stdout=self.log, stderr=self.log, preexec_fn=limit)
        deadline = time.monotonic() + 900
        while True:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.base}/healthz", timeout=1.0).status_code == 200:
                    break
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.stop()
                raise RuntimeError(f"server did not start: {Path(self.log.name).read_text()[-2000:]}")
            time.sleep(0.2)
        self.log_start = Path(self.log.name).stat().st_size

    def pids(self) -> list[int]:
        """The server process and its children (forked workers)."""
        found = [self.process.pid]
        with contextlib.suppress(OSError):
            found += [int(x) for x in Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()]
        return found

    def peak_rss_mb(self) -> float:
        """The largest ``VmHWM`` among the server's processes, in MB."""
        peaks = []
        for pid in self.pids():
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peaks.append(int(line.split()[1]) / 1024)
        return max(peaks, default=0.0)

    def log_bytes(self) -> int:
        """Bytes the server logged since it became ready."""
        return Path(self.log.name).stat().st_size - self.log_start

    def log_text(self) -> str:
        """What the server logged since it became ready."""
        with open(self.log.name, "rb") as handle:
            handle.seek(self.log_start)
            return handle.read().decode("utf-8", "replace")

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL) and remove its log."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        with contextlib.suppress(OSError):
            os.unlink(self.log.name)


def _healthz_wait(base: str, cap: float, outcome: Outcome, until: Callable[[], bool] | None = None) -> None:
    """Poll ``/healthz``: record how long until it first answers and the slowest answer.

    With ``until``, keep polling (to find the slowest answer) until it returns true or ``cap`` passes.
    """
    started = time.monotonic()
    with httpx.Client(timeout=1.0) as client:
        while time.monotonic() - started < cap:
            sent = time.monotonic()
            try:
                ok = client.get(f"{base}/healthz").status_code == 200
            except httpx.TransportError:
                ok = False
            elapsed = time.monotonic() - sent
            outcome.healthz_worst_ms = max(outcome.healthz_worst_ms, elapsed * 1000)
            if ok and outcome.healthz_wait_s is None:
                outcome.healthz_wait_s = time.monotonic() - started
            if outcome.healthz_wait_s is not None and (until is None or until()):
                return
            time.sleep(0.1)


def _post_in_background(base: str, body: bytes, timeout: float, content_type: str = "application/json") -> dict[str, Any]:
    """POST ``body`` from a thread; the returned dict fills in with status, time and a short summary."""
    state: dict[str, Any] = {"done": False}

    def run() -> None:
        started = time.monotonic()
        try:
            response = httpx.post(f"{base}/graphql", content=body, headers={"content-type": content_type}, timeout=timeout)
            state["status"] = response.status_code
            state["bytes"] = len(response.content)
            try:
                errors = response.json().get("errors") or []
                state["error"] = errors[0]["message"][:90] if errors else ""
            except (ValueError, AttributeError):
                state["error"] = response.text[:90]
        except httpx.TransportError as err:
            state["status"] = type(err).__name__
        state["seconds"] = time.monotonic() - started
        state["done"] = True

    threading.Thread(target=run, daemon=True).start()
    return state


def _summary(state: dict[str, Any]) -> str:
    if not state["done"]:
        return "still running at the cap"
    text = f"{state['status']} in {state['seconds']:.2f} s"
    if state.get("error"):
        text += f": {state['error']}"
    return text


@contextlib.contextmanager
def _server(outcome: Outcome, repo: Path, data: list[Path], **options: Any) -> Iterator[Server]:
    server = Server(repo, data, **options)
    try:
        yield server
    finally:
        outcome.peak_rss_mb = server.peak_rss_mb()
        server.stop()


def attack_fan_out(repo: Path, data: list[Path], cap: float, aliases: bool = False) -> Outcome:
    """The 1.2 kB fan-out query (or 30 aliases of it) that passes the depth, alias and token limits."""
    outcome = Outcome("fan-out x30 aliases" if aliases else "fan-out query")
    codes = (_busiest_codes(data[0], 20, "aoc-*.ttl") * 5 if data else []) or FAN_CODES
    query = FAN_OUT.replace(", ".join(f'"{c}"' for c in FAN_CODES), ", ".join(f'"{c}"' for c in codes))
    body = {"query": FAN_OUT_ALIASES, "variables": {"c": codes}} if aliases else {"query": query}
    with _server(outcome, repo, data) as server:
        state = _post_in_background(server.base, json.dumps(body).encode(), cap)
        time.sleep(0.3)
        _healthz_wait(server.base, cap, outcome, until=lambda: state["done"])
        outcome.result = _summary(state)
        outcome.notes.append(f"query {len(FAN_OUT if not aliases else FAN_OUT_ALIASES)} bytes")
    return outcome


def attack_two_workers(repo: Path, data: list[Path], cap: float) -> Outcome:
    """Two small queries against ``--workers 2``: one per worker."""
    outcome = Outcome("2 queries, --workers 2")
    # Nested relationships over the busiest codes: the heaviest small query on an imported quarter.
    codes = (_busiest_codes(data[0], 20) if data else []) or FAN_CODES
    query = "query($c: [String!]!) " + NESTED_RELATIONSHIPS if data else SMALL_FAN_OUT
    body = json.dumps({"query": query, "variables": {"c": codes}}).encode()
    with _server(outcome, repo, data, workers=2) as server:
        states = [_post_in_background(server.base, body, cap) for _ in range(2)]
        time.sleep(0.3)
        _healthz_wait(server.base, cap, outcome, until=lambda: all(s["done"] for s in states))
        outcome.result = "; ".join(_summary(s) for s in states)
        outcome.notes.append(f"query {len(query)} bytes")
    return outcome


def attack_nested_relationships(repo: Path, data: list[Path], cap: float) -> Outcome:
    """Three nested ``relationships`` levels over the codes with the most edges of an imported quarter."""
    outcome = Outcome("3 nested relationships")
    query = "query($c: [String!]!) " + NESTED_RELATIONSHIPS
    codes = FAN_CODES[:20]
    if data:
        codes = _busiest_codes(data[0], 20) or codes
    body = json.dumps({"query": query, "variables": {"c": codes}}).encode()
    with _server(outcome, repo, data) as server:
        state = _post_in_background(server.base, body, cap)
        time.sleep(0.3)
        _healthz_wait(server.base, cap, outcome, until=lambda: state["done"])
        outcome.result = _summary(state)
        outcome.notes.append("imported quarter" if data else "curated graph only")
    return outcome


def attack_within_budget(repo: Path, data: list[Path], cap: float) -> Outcome:
    """The nested relationships again, with ``first`` small enough to pass a cost budget of 100,000 (cost 96,820)."""
    outcome = Outcome("relationships within budget")
    query = ("query($c: [String!]!) { codes(codes: $c) { relationships(first: 20) { from { relationships(first: 20) "
             "{ to { relationships(first: 5) { kind } } } } } } }")
    codes = (_busiest_codes(data[0], 20) if data else []) or FAN_CODES[:20]
    body = json.dumps({"query": query, "variables": {"c": codes}}).encode()
    small = json.dumps({"query": '{ code(code: "96365") { code title isAddOn } }'}).encode()
    with _server(outcome, repo, data) as server:
        states = [_post_in_background(server.base, body, cap) for _ in range(2)]
        time.sleep(0.3)
        # A health check and a small query, now and then, while the two large ones run.
        slowest = 0.0
        started = time.monotonic()
        with httpx.Client(timeout=cap) as client:
            while not all(s["done"] for s in states):
                sent = time.monotonic()
                client.get(f"{server.base}/healthz")
                answered = time.monotonic()
                outcome.healthz_worst_ms = max(outcome.healthz_worst_ms, (answered - sent) * 1000)
                if outcome.healthz_wait_s is None:
                    outcome.healthz_wait_s = answered - started
                client.post(f"{server.base}/graphql", content=small, headers={"content-type": "application/json"})
                slowest = max(slowest, time.monotonic() - answered)
                time.sleep(0.2)
        outcome.result = "; ".join(_summary(s) for s in states)
        outcome.notes.append(("imported quarter" if data else "curated graph only") + ", two at once")
        outcome.notes.append(f"slowest small query meanwhile: {slowest * 1000:.0f} ms")
    return outcome


def _busiest_codes(release: Path, count: int, pattern: str = "ccipra-*-f1-*.ttl") -> list[str]:
    """The codes named most often in a release's files matching ``pattern`` (a cheap proxy for the most edges)."""
    tally: dict[str, int] = {}
    for path in sorted(release.glob(pattern)):
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                for token in line.split():
                    if token.startswith("cpt:") or token.startswith("hcpcs:"):
                        code = token.split(":", 1)[1].rstrip(";.,")
                        tally[code] = tally.get(code, 0) + 1
    return [c for c, _ in sorted(tally.items(), key=lambda item: -item[1])[:count]]


def _limit(repo: Path, name: str, default: int) -> int:
    """A limit from the checkout's ``server/limits.py`` (older checkouts lack some)."""
    namespace: dict[str, Any] = {}
    source = (repo / "server" / "limits.py").read_text()
    for line in source.splitlines():
        if line.startswith(f"{name} = "):
            exec(line, namespace)  # a constant assignment from the checkout under test
            return int(namespace[name])
    return default


def max_claims_batch(repo: Path) -> tuple[dict[str, Any], str]:
    """The largest ``checkClaims`` batch the checkout accepts: most claims and lines that fit its limits and body cap."""
    claims = _limit(repo, "MAX_CLAIMS", 1000)
    per_claim = _limit(repo, "MAX_CLAIM_LINES", 100)
    total = _limit(repo, "MAX_BATCH_LINES", claims * per_claim)
    body_cap = _limit(repo, "MAX_BODY_BYTES", 1024 * 1024)
    query = "query($claims: [ClaimInput!]!) { checkClaims(claims: $claims) { valid findings { rule severity line } } }"
    codes = ["96365", "96366", "96367", "96375", "96360", "96361"]

    def batch(lines_each: int, count: int) -> dict[str, Any]:
        return {"query": query, "variables": {"claims": [
            {"claimType": "PROFESSIONAL", "dateOfService": "2026-07-01", "placeOfService": "11",
             "lines": [{"code": codes[n % len(codes)], "units": 1, "modifiers": ["59"]} for n in range(lines_each)]}
            for _ in range(count)]}}

    lines_each = min(per_claim, max(1, total // claims))
    while lines_each > 1 and len(json.dumps(batch(lines_each, claims), separators=(",", ":"))) > body_cap:
        lines_each -= 1
    return batch(lines_each, claims), f"{claims} claims x {lines_each} lines"


def attack_max_claims(repo: Path, data: list[Path], cap: float) -> Outcome:
    """The largest legal ``checkClaims`` batch, with ``/healthz`` polled while it runs."""
    outcome = Outcome("max checkClaims")
    body, shape = max_claims_batch(repo)
    encoded = json.dumps(body, separators=(",", ":")).encode()
    with _server(outcome, repo, data) as server:
        state = _post_in_background(server.base, encoded, cap)
        time.sleep(0.3)
        _healthz_wait(server.base, cap, outcome, until=lambda: state["done"])
        outcome.result = _summary(state)
        outcome.notes.append(f"{shape}, {len(encoded) / 1e6:.2f} MB")
    return outcome


def attack_slow_sockets(repo: Path, data: list[Path], cap: float, count: int = 200, hold: float = 20.0) -> Outcome:
    """200 sockets that send half a request line and then a byte every few seconds."""
    outcome = Outcome(f"{count} slow sockets")
    with _server(outcome, repo, data) as server:
        sockets = []
        for _ in range(count):
            s = socket.create_connection(("127.0.0.1", server.port))
            s.sendall(b"POST /graphql HTTP/1.1\r\nHost: x\r\n")
            s.setblocking(False)
            sockets.append(s)
        started = time.monotonic()
        _healthz_wait(server.base, cap, outcome)
        while time.monotonic() - started < min(hold, cap):
            for s in sockets:
                with contextlib.suppress(OSError):
                    s.send(b"X")
            time.sleep(2)
        closed = 0
        for s in sockets:
            try:
                closed += s.recv(1) == b""
            except BlockingIOError:
                pass
            except OSError:
                closed += 1
            s.close()
        outcome.result = f"{closed}/{count} closed by the server after {hold:.0f} s"
    return outcome


def attack_idle_sockets(repo: Path, data: list[Path], cap: float, count: int = 1100, watch: float = 10.0) -> Outcome:
    """1,100 idle connections to a server limited to 1,024 file descriptors."""
    outcome = Outcome(f"{count} idle sockets, 1024 fds")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, count + 256)), hard))
    with _server(outcome, repo, data, nofile=1024) as server:
        sockets = []
        for _ in range(count):
            try:
                sockets.append(socket.create_connection(("127.0.0.1", server.port), timeout=2))
            except OSError:
                break
        started = time.monotonic()
        answered = tried = 0
        with httpx.Client(timeout=1.0) as client:
            while time.monotonic() - started < min(watch, cap):
                tried += 1
                sent = time.monotonic()
                try:
                    ok = client.get(f"{server.base}/healthz").status_code == 200
                except httpx.TransportError:
                    ok = False
                outcome.healthz_worst_ms = max(outcome.healthz_worst_ms, (time.monotonic() - sent) * 1000)
                if ok:
                    answered += 1
                    if outcome.healthz_wait_s is None:
                        outcome.healthz_wait_s = time.monotonic() - started
                time.sleep(0.1)
        logged = server.log_bytes()
        for s in sockets:
            s.close()
        outcome.result = f"{len(sockets)} opened; /healthz {answered}/{tried} ok in {watch:.0f} s; log +{logged / 1e6:.2f} MB"
    return outcome


MALFORMED: list[tuple[str, bytes, str]] = [
    ("JSON nested 1000 deep", b'{"query": "{ release { version } }", "variables": {"v": ' + b"[" * 1000 + b"]" * 1000 + b"}}",
     "application/json"),
    ("body 42", b"42", "application/json"),
    ("body null", b"null", "application/json"),
    ("body a string", b'"{ release { version } }"', "application/json"),
    ("invalid UTF-8", b'{"query": "{ release { version } }", "operationName": "\xff\xfe"}', "application/json"),
    ("lone surrogate in operationName", b'{"query": "query A { release { version } }", "operationName": "\\ud800"}',
     "application/json"),
    ("lone surrogate in variables", b'{"query": "query($c: String!) { code(code: $c) { code } }", "variables": {"c": "\\udc00"}}',
     "application/json"),
    ("text/plain body", b"{ release { version } }", "text/plain"),
    ("application/graphql body", b"{ release { version } }", "application/graphql"),
]


def attack_malformed(repo: Path, data: list[Path], cap: float) -> Outcome:
    """Malformed bodies: each should be a 4xx with a JSON GraphQL error, no traceback logged."""
    outcome = Outcome("malformed bodies")
    with _server(outcome, repo, data) as server, httpx.Client(timeout=min(cap, 10)) as client:
        answers = []
        for name, body, content_type in MALFORMED:
            try:
                response = client.post(f"{server.base}/graphql", content=body, headers={"content-type": content_type})
            except httpx.TransportError as err:
                answers.append(f"{name}: {type(err).__name__}")
                continue
            try:
                is_json = "errors" in response.json() or "data" in response.json()
            except ValueError:
                is_json = False
            answers.append(f"{name}: {response.status_code}{'' if is_json else ' (not JSON)'}")
        _healthz_wait(server.base, cap, outcome)
        time.sleep(0.3)
        tracebacks = server.log_text().count("Traceback")
        outcome.result = f"{tracebacks} tracebacks logged"
        outcome.notes.extend(answers)
    return outcome


def _merge_heavy(variant: int) -> str:
    """``code`` 10 times, each with ``validPrimaries`` 10 times, each with ``addOns`` 4 times (8.5 kB).

    GraphQL's validation compares same-named fields pairwise, level under level; a different code
    per variant keeps any cache of prepared documents from helping.
    """
    inner = " ".join(["addOns { code }"] * 4)
    middle = " ".join([f"validPrimaries {{ {inner} }}"] * 10)
    return "{ " + " ".join([f'code(code: "{96360 + variant}") {{ {middle} }}'] * 10) + " }"


def attack_merge_validation(repo: Path, data: list[Path], cap: float, count: int = 8) -> Outcome:
    """Several distinct documents at once whose same-named fields multiply down three levels."""
    outcome = Outcome(f"{count} merge-heavy documents")
    with _server(outcome, repo, data) as server:
        states = [_post_in_background(server.base, json.dumps({"query": _merge_heavy(n)}).encode(), cap)
                  for n in range(count)]
        time.sleep(0.3)
        _healthz_wait(server.base, cap, outcome, until=lambda: all(s["done"] for s in states))
        slowest = max((s for s in states if s["done"]), key=lambda s: s["seconds"], default=None)
        outcome.result = f"slowest {_summary(slowest)}" if slowest is not None else "none answered by the cap"
        outcome.notes.append(f"query {len(_merge_heavy(0))} bytes")
    return outcome


ATTACKS: dict[str, Callable[[Path, list[Path], float], Outcome]] = {
    "fan-out": attack_fan_out,
    "fan-out-aliases": lambda repo, data, cap: attack_fan_out(repo, data, cap, aliases=True),
    "two-workers": attack_two_workers,
    "nested-relationships": attack_nested_relationships,
    "within-budget": attack_within_budget,
    "max-claims": attack_max_claims,
    "slow-sockets": attack_slow_sockets,
    "idle-sockets": attack_idle_sockets,
    "malformed": attack_malformed,
    "merge-validation": attack_merge_validation,
}
#: Attacks that need volume get the imported quarter; the rest run on the curated graph (faster start).
NEEDS_DATA = {"nested-relationships", "within-budget", "fan-out", "fan-out-aliases", "two-workers"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=REPOSITORY, help="checkout to serve (default: this one)")
    parser.add_argument("--data", type=Path, action="append", default=[], help="imported release directory")
    parser.add_argument("--cap", type=float, default=60.0, help="longest any attack may run, seconds")
    parser.add_argument("--only", nargs="*", choices=sorted(ATTACKS), help="run only these attacks")
    args = parser.parse_args(argv)
    outcomes = []
    for name, attack in ATTACKS.items():
        if args.only and name not in args.only:
            continue
        outcome = attack(args.repo.resolve(), args.data if name in NEEDS_DATA else [], args.cap)
        outcomes.append(outcome)
        wait = "never" if outcome.healthz_wait_s is None else f"{outcome.healthz_wait_s:.2f} s"
        print(f"{outcome.name:28} | healthz after {wait:>8} (worst {outcome.healthz_worst_ms:7.0f} ms) "
              f"| peak RSS {outcome.peak_rss_mb:6.0f} MB | {outcome.result}", flush=True)
        for note in outcome.notes:
            print(f"{'':28} |   {note}", flush=True)
    print(json.dumps([o.__dict__ for o in outcomes], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
